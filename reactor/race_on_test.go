//go:build race

package reactor

// raceEnabled reports whether the race detector is on (it inflates memory
// figures).
const raceEnabled = true
