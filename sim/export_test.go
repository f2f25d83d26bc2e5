package sim

// ErrnoName exports errnoName to the sim_test package.
var ErrnoName = errnoName
