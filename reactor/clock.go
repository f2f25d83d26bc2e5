package reactor

import "time"

// Now returns the loop's clock as of its current iteration (the Kernel's
// clock, simulated under sim): the time base of Conn.SetDeadline. Call it
// on the loop's goroutine.
func (l *Loop) Now() time.Time { return time.Unix(0, l.now) }
