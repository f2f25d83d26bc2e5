package eventpoll

import "time"

// deadline tracks a Wait timeout across retries (EINTR, spurious returns):
// ms is the value for the next system call, rounded up to a millisecond so
// that a Wait never returns before its timeout.
type deadline struct {
	timeout time.Duration
	end     time.Time
}

func newDeadline(timeout time.Duration) deadline {
	d := deadline{timeout: timeout}
	if timeout > 0 {
		d.end = time.Now().Add(timeout)
	}
	return d
}
