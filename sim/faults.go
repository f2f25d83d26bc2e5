package sim

import (
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// Faults are failures a simulated Kernel injects at its calls, each with a
// probability drawn from the seeded RNG; the zero value injects none. Each
// is an answer Linux can give at that call, shaped so that the promises of
// the eventpoll.Kernel seam and of epoll still hold: after EAGAIN, or after
// a read or write that moved less than it could, the file's pollers get a
// new edge when it is ready, so an edge-triggered caller that stops there
// is told again. Short reads and writes are Config.ShortIO.
//
// EINTR is injected only where the seam passes it on. Host restarts Read,
// Write, Writev, Accept, RecvFrom and SendTo after EINTR, connect's EINTR
// becomes EINPROGRESS, and Wait restarts (or returns 0 once its timeout has
// passed), so callers never see it there; Close returns it after it has
// released the descriptor, as Linux does.
type Faults struct {
	// Again makes Read, Write, Writev, Accept, RecvFrom and SendTo on a
	// ready descriptor fail with EAGAIN (readiness that vanished, as when a
	// datagram fails its checksum or another process accepted first). The
	// file's pollers are woken right after, as when it becomes ready again.
	Again float64
	// Reset makes a Read, Write or Writev on a connected TCP socket find the
	// connection reset mid-stream: an RST arrives first, both ends are reset,
	// and the call fails as it then does on Linux (a read returns the bytes
	// still queued, then ECONNRESET). Half the writes see EPIPE instead, as
	// when the reset was already reported to an earlier call.
	Reset float64
	// NoMem makes Read, Write, Writev and Accept fail with ENOMEM or ENOBUFS
	// and Poller.Add with ENOMEM, changing nothing else (the data stays
	// queued, the connection stays in the backlog).
	NoMem float64
	// FileLimit makes Accept fail with EMFILE or ENFILE; the connection
	// stays in the backlog.
	FileLimit float64
	// Interrupt makes Close return EINTR after it has released the
	// descriptor (callers must not close it again).
	Interrupt float64
	// Late makes a Wait that has events to report sleep first for a seeded
	// time up to MaxLate (a late wake-up); other tasks run meanwhile.
	Late float64
	// MaxLate bounds a late wake-up (zero: 10 ms).
	MaxLate time.Duration
	// Spurious makes a Wait that would sleep return 0 events at once, as
	// after a Wake from elsewhere.
	Spurious float64
	// Filter, when set, limits faults to calls on descriptors (for Wait, the
	// Poller's FD) for which it returns true; a test uses it to spare its
	// own client. It must be deterministic to keep runs reproducible.
	Filter func(fd int) bool
}

// fault reports, drawing from the seeded RNG, whether a fault of
// probability p strikes a call on fd. Nothing is drawn when p is zero, so
// runs without faults keep their traces.
func (k *Kernel) fault(p float64, fd int) bool {
	if p <= 0 {
		return false
	}
	if f := k.cfg.Faults.Filter; f != nil && !f(fd) {
		return false
	}
	k.rngMu.Lock()
	defer k.rngMu.Unlock()
	return k.rng.Float64() < p
}

// either returns a or b, drawn from the seeded RNG.
func (k *Kernel) either(a, b syscall.Errno) syscall.Errno {
	if k.randIntn(2) == 0 {
		return a
	}
	return b
}

// tracefFault records an injected fault.
func (k *Kernel) tracefFault(op string, fd int, what string) {
	if k.trace.on {
		k.tracef("fault %s %d: %s", op, fd, what)
	}
}

// rewake wakes the wait queues of f with key when f's current mask has
// key: the new edge that readiness which reappears, or data and room left
// after a short call, raises on Linux.
func (k *Kernel) rewake(f *file, key ep.Events) {
	p, ok := f.ops.(pollable)
	if !ok {
		return
	}
	var qs []*waitQueue
	mask := p.poll(&pollTable{queue: func(q *waitQueue) { qs = append(qs, q) }})
	if mask&key == 0 {
		return
	}
	for _, q := range qs {
		q.wake(key)
	}
}

// ready reports whether f's current mask has key.
func ready(f *file, key ep.Events) bool {
	p, ok := f.ops.(pollable)
	return ok && p.poll(nil)&key != 0
}

// ioFault is the fault injected at a Read (write false) or Write/Writev of
// fd, if any: an error to return now, or nil to go on (possibly after a
// reset was injected, which the call then reports).
func (k *Kernel) ioFault(fd int, f *file, write bool) error {
	fs := &k.cfg.Faults
	op := "read"
	if write {
		op = "write"
	}
	if k.fault(fs.NoMem, fd) {
		err := syscall.ENOMEM
		if write {
			err = k.either(syscall.ENOMEM, syscall.ENOBUFS)
		}
		k.tracefFault(op, fd, errName(err))
		return err
	}
	if s, ok := f.ops.(*sock); ok && k.fault(fs.Reset, fd) {
		epipe := write && k.randIntn(2) == 0
		if s.injectReset(epipe) {
			k.tracefFault(op, fd, "reset")
		}
	}
	key := ep.Readable
	if write {
		key = ep.Writable
	}
	if k.fault(fs.Again, fd) && ready(f, key) {
		k.tracefFault(op, fd, "EAGAIN")
		k.rewake(f, key)
		return syscall.EAGAIN
	}
	return nil
}

// acceptFault is the fault injected at an Accept of fd, if any.
func (k *Kernel) acceptFault(fd int, f *file) error {
	fs := &k.cfg.Faults
	var err error
	switch {
	case k.fault(fs.FileLimit, fd):
		err = k.either(syscall.EMFILE, syscall.ENFILE)
	case k.fault(fs.NoMem, fd):
		err = k.either(syscall.ENOMEM, syscall.ENOBUFS)
	case k.fault(fs.Again, fd) && ready(f, ep.Readable):
		k.tracefFault("accept", fd, "EAGAIN")
		k.rewake(f, ep.Readable)
		return syscall.EAGAIN
	default:
		return nil
	}
	k.tracefFault("accept", fd, errName(err))
	return err
}

// injectReset resets s's connection as if an RST had arrived (and sends
// one to the peer); with epipe the error counts as already reported, so
// the next write fails with EPIPE. It reports whether s was connected.
func (s *sock) injectReset(epipe bool) bool {
	s.mu.Lock()
	if !s.tcp || s.state != sockConnected || s.peer == nil {
		s.mu.Unlock()
		return false
	}
	after := s.k.sendResetLocked(s.peer)
	s.resetLocked()
	if epipe {
		s.err = 0
	}
	s.mu.Unlock()
	after()
	s.wq.wake(0)
	return true
}

// lateWake sleeps a Wait that has events for a seeded time (a late
// wake-up): on the virtual clock in Deterministic mode, letting the other
// tasks run.
func (p *Poller) lateWake() {
	k := p.k
	if !k.fault(k.cfg.Faults.Late, p.epfd) {
		return
	}
	maxLate := k.cfg.Faults.MaxLate
	if maxLate <= 0 {
		maxLate = 10 * time.Millisecond
	}
	k.rngMu.Lock()
	d := time.Duration(1 + k.rng.Int63n(int64(maxLate)))
	k.rngMu.Unlock()
	k.tracefFault("wait", p.epfd, "late "+d.String())
	if p.task != nil {
		p.task.s.block(p.task, d, true)
		p.task.s.runDue()
		return
	}
	time.Sleep(d)
}

// hasEvents reports whether items are on the ready list.
func (e *eventpoll) hasEvents() bool {
	e.lock.Lock()
	defer e.lock.Unlock()
	return e.eventsAvailableLocked()
}
