//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"golang.org/x/sys/unix"
)

// This file holds the edge-triggered and one-shot bookkeeping of the
// emulated backends: reports, masks, parking and the re-arm rules.

// noteWouldBlock re-arms the masked edge-triggered conditions of fd in every
// emulated poller after an I/O call on fd failed with EAGAIN. ev is Readable
// for a read-side call (re-arming Readable, ReadHangup and Priority) or
// Writable for a write-side call. It costs one atomic load when nothing is
// masked anywhere.
func noteWouldBlock(fd int, ev Events) {
	if emuFlagged.Load() == 0 {
		return
	}
	emuAll.mu.RLock()
	for _, e := range emuAll.list {
		e.rearm(fd, ev)
	}
	emuAll.mu.RUnlock()
}

func (e *emu) rearm(fd int, ev Events) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.lookup(fd)
	if i < 0 || e.closed {
		return
	}
	it := &e.items[i]
	if it.disabled || !it.flagged() {
		return
	}
	var bits Events
	if ev&(Readable|ReadHangup|Priority) != 0 {
		bits |= Readable | ReadHangup | Priority
	}
	if ev&Writable != 0 {
		bits |= Writable
	}
	if it.masked&bits == 0 && it.parked == 0 {
		return
	}
	was, wasParked := it.flagged(), it.parked != 0
	it.masked &^= bits
	it.parked = 0
	e.account(was, wasParked, it)
	e.slotChanged(i)
	e.interrupt()
}

// account keeps the counters in step after it's masks changed; was and
// wasParked are it.flagged() and it.parked != 0 before the change.
func (e *emu) account(was, wasParked bool, it *emuItem) {
	if p := it.parked != 0; p != wasParked {
		if p {
			e.nParked++
		} else {
			e.nParked--
		}
	}
	now := it.flagged()
	switch {
	case now && !was:
		e.nFlagged++
		emuFlagged.Add(1)
	case was && !now:
		e.nFlagged--
		emuFlagged.Add(-1)
	}
}

// report records that items[i] was reported with got (e.mu held): one-shot
// registrations are disabled, edge-triggered ones get got masked and are
// listed for the probe of the next Wait.
func (e *emu) report(i int, got Events) {
	it := &e.items[i]
	switch {
	case it.ev&OneShot != 0:
		it.disabled = true
	case it.ev&EdgeTriggered != 0:
		was, wasParked := it.flagged(), it.parked != 0
		it.masked |= got
		e.account(was, wasParked, it)
		if !it.probing {
			it.probing = true
			e.probe = append(e.probe, int32(it.fd))
		}
	default:
		return
	}
	e.slotChanged(i)
}

// park suppresses items[i] (or the conditions in bits) until it is re-armed:
// the kernel keeps reporting only conditions that are masked (e.mu held).
func (e *emu) park(i int, bits Events) {
	it := &e.items[i]
	was, wasParked := it.flagged(), it.parked != 0
	it.parked |= bits
	e.account(was, wasParked, it)
	e.slotChanged(i)
}

// probeMasked implements re-arm rule 3: edge-triggered registrations
// reported by the previous harvest whose masked conditions no longer hold
// are re-armed (e.mu held; a zero-timeout poll).
func (e *emu) probeMasked() {
	if len(e.probe) == 0 {
		return
	}
	buf := e.probeBuf[:0]
	for _, fd := range e.probe {
		i := e.lookup(int(fd))
		if i < 0 {
			continue
		}
		it := &e.items[i]
		it.probing = false
		if it.masked == 0 || it.disabled {
			continue
		}
		buf = append(buf, unix.PollFd{Fd: fd, Events: e.pollEvents(it.masked)})
	}
	e.probe = e.probe[:0]
	e.probeBuf = buf[:0]
	if len(buf) == 0 {
		return
	}
	if _, err := e.poll(buf, 0); err != nil {
		return
	}
	for _, pf := range buf {
		if pf.Revents&unix.POLLNVAL != 0 {
			continue // closed: the main wait reports it
		}
		i := e.lookup(int(pf.Fd))
		if i < 0 {
			continue
		}
		it := &e.items[i]
		drop := it.masked &^ e.fromPoll(pf.Revents)
		if drop == 0 || it.disabled {
			continue
		}
		was, wasParked := it.flagged(), it.parked != 0
		it.masked &^= drop
		e.account(was, wasParked, it)
		e.slotChanged(i)
	}
}
