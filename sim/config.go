package sim

import "time"

// Config tunes a simulated Kernel. The zero value is a kernel that behaves
// like Linux on loopback, on the real clock, with no injected faults.
type Config struct {
	// Seed seeds the random choices: short reads and writes, the order in
	// which ready items are delivered and, when Deterministic, which task
	// runs next. One seed gives one run.
	Seed int64
	// Deterministic runs the kernel on a virtual clock under a scheduler
	// that lets one poller-owning goroutine run at a time (see Scheduler in
	// the package doc). Without it the clock is the real one and goroutines
	// run freely, as on Linux.
	Deterministic bool
	// MaxFDs is the size of the fd table: opening beyond it fails with
	// EMFILE. Zero means 8192.
	MaxFDs int
	// PipeBuffer is a pipe's capacity in bytes (zero: 64 KiB).
	PipeBuffer int
	// SendBuffer and RecvBuffer are a stream socket's default buffer sizes
	// in bytes (zero: 64 KiB each). A direction of a connection holds up to
	// the sender's send buffer plus the receiver's receive buffer.
	SendBuffer, RecvBuffer int
	// ShortIO is the probability, from the seeded RNG, that a Read or Write
	// on a stream moves fewer bytes than it could (at least one).
	ShortIO float64
	// Shuffle makes Wait deliver the items it harvests in a seeded random
	// order instead of ready-list order (the rotation is kept: delivered
	// level-triggered items still go to the tail).
	Shuffle bool
	// Yield is the probability, in Deterministic mode, that a Wait which has
	// events lets another runnable task go first.
	Yield float64
	// MaxDelay, in Deterministic mode, delays every TCP segment (data, FIN,
	// reset, connection setup) by a seeded random time up to MaxDelay on the
	// virtual clock; segments of one direction still arrive in order. Data in
	// flight counts against the buffers. Zero delivers at once.
	MaxDelay time.Duration
	// Faults are the failures injected at Kernel and Poller calls (see
	// Faults); the zero value injects none.
	Faults Faults
	// Trace records every operation (see Kernel.Trace) so that two runs can
	// be compared.
	Trace bool
	// Start is the virtual clock's origin in Deterministic mode (zero:
	// 2000-01-01 UTC).
	Start time.Time
}

func (c Config) withDefaults() Config {
	if c.MaxFDs <= 0 {
		c.MaxFDs = 8192
	}
	if c.PipeBuffer <= 0 {
		c.PipeBuffer = 64 << 10
	}
	if c.SendBuffer <= 0 {
		c.SendBuffer = 64 << 10
	}
	if c.RecvBuffer <= 0 {
		c.RecvBuffer = 64 << 10
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return c
}
