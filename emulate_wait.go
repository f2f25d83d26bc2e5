//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"syscall"
	"time"
)

// This file holds the emulated backends' Wait and Wake: the wait loop, the
// interrupts of blocked Waits and the periodic recheck of parked items.

// Wake implements Poller.Wake. It makes a system call only when a Wait is
// blocked and no wake-up is already on its way.
func (e *emu) Wake() error {
	if e.closedA.Load() {
		return e.opErr("wake", -1, ErrClosed)
	}
	if e.wakeReq.Swap(true) {
		return nil // already pending: collapses into the pending one
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return e.opErr("wake", -1, ErrClosed)
	}
	// A Wait not yet blocked sees wakeReq and polls with a zero timeout.
	e.signal()
	return nil
}

// interrupt makes Waits blocked in the system call return and look at the
// interest set again after it grew (e.mu held): an fd added, re-armed or
// asked for more. Several interrupts cost one write. The Waits blocked now
// are stale until they are back from the system call: each counts in
// nStale, and a Wait that leaves while some are still asleep (the wake
// descriptor drained by another Wait before their kernel wait looked at it
// again) writes the wake descriptor for them (see Wait), so none sleeps on
// an old copy of the interest set while no other Wait watches the current
// one.
func (e *emu) interrupt() {
	e.intrGen++
	if e.waiters > 0 {
		e.nStale = e.waiters
		e.signal()
	}
}

// signal writes the wake descriptor unless it is written already or no Wait
// is in the system call (e.mu held).
func (e *emu) signal() {
	if e.waiters > 0 && !e.intrSent {
		e.intrSent = true
		e.writeWake()
	}
}

// Wait implements Poller.Wait.
func (e *emu) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, e.opErr("wait", -1, syscall.EINVAL)
	}
	dl := newDeadline(timeout)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return 0, e.opErr("wait", -1, ErrClosed)
	}
	var w emuWaiter
	if k := len(e.free); k > 0 {
		w = e.free[k-1]
		e.free[k-1] = nil
		e.free = e.free[:k-1]
	} else {
		w = e.be.newWaiter(e)
	}
	last := false // the timeout expired: one more pass without blocking
	for {
		if e.closed {
			return e.leave(w, 0, e.opErr("wait", -1, ErrClosed))
		}
		e.probeMasked()
		msec := dl.ms()
		if rc := e.be.recheck(); rc > 0 && e.nParked > 0 {
			msec = e.recheckParked(rc, msec)
		}
		w.sync(e)
		snapGen, synced := e.gen, e.intrGen
		if e.wakeReq.Load() || last {
			msec = 0
		}
		e.waiters++
		e.mu.Unlock()
		n, err := w.wait(msec)
		e.mu.Lock()
		e.waiters--
		stale := synced != e.intrGen // the interest set grew during the call
		if stale {
			e.nStale--
		}
		if e.closed {
			return e.leave(w, 0, e.opErr("wait", -1, ErrClosed))
		}
		if err == syscall.EINTR {
			continue // again, with the time left (a zero timeout: at once)
		}
		count := 0
		if n > 0 || err != nil {
			count, err = w.harvest(e, n, err, events, snapGen)
			if err != nil {
				return e.leave(w, count, e.opErr("wait", -1, err))
			}
		}
		woke := e.wakeReq.Swap(false)
		if count > 0 || woke || timeout == 0 {
			return e.leave(w, count, nil)
		}
		if timeout > 0 && dl.expired() {
			if stale && !last {
				// Like epoll_wait at its timeout: what was added or
				// re-armed before this Wait returns is looked at once more.
				last = true
				continue
			}
			return e.leave(w, 0, nil)
		}
	}
}

// recheckParked puts parked registrations back into the wait once every rc
// and returns msec cut to the time until the next recheck (e.mu held).
func (e *emu) recheckParked(rc time.Duration, msec int) int {
	now := time.Now()
	if now.Sub(e.unparked) >= rc {
		e.unparked = now
		for i := range e.items {
			it := &e.items[i]
			if it.parked == 0 {
				continue
			}
			was := it.flagged()
			it.parked = 0
			e.account(was, true, it)
			e.slotChanged(i)
		}
	}
	if left := durationToMs(rc - now.Sub(e.unparked)); msec < 0 || left < msec {
		msec = left
	}
	return msec
}

// leave returns the waiter state to the free list and unlocks (e.mu held).
func (e *emu) leave(w emuWaiter, n int, err error) (int, error) {
	e.free = append(e.free, w)
	if e.nStale > 0 {
		// Waits still asleep on a copy older than an interrupt (another
		// Wait drained the wake descriptor before they saw it) and this one
		// stops watching: wake them up.
		e.signal()
	}
	if e.closed && e.waiters == 0 && !e.wakeClosed {
		e.closeWake()
	}
	e.mu.Unlock()
	return n, err
}
