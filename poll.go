//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"time"

	"golang.org/x/sys/unix"
)

// The poll backend keeps a dense pollfd array between calls: slot 0 is the
// wake descriptor (its read end, see emulate_wake.go), slot i+1 is
// registration i. Add appends, Delete swap-removes, Modify and the
// edge-triggered/one-shot bookkeeping rewrite one slot. Each
// concurrent Wait passes its own copy of the array to the kernel (which
// writes revents into it); the copy is brought up to date by replaying the
// slots changed since its last call, so in steady state a Wait copies
// nothing. A registration asked about nothing (one-shot disabled, or all
// masked) is stored with a negative fd, which poll(2) ignores, so that not
// even POLLHUP or POLLERR are reported for it.
//
// POLLNVAL (the program closed a registered fd without Delete) is reported
// once as Error and the registration is removed, so a level-triggered loop
// does not spin on it.

func init() {
	Register("poll", NewPoll)
}

// NewPoll creates a Poller on poll(2) with a user-space interest set and
// emulated edge-triggered and one-shot modes.
func NewPoll() (Poller, error) { return newPoll("poll") }

// newPoll creates a poll backend Poller named name.
func newPoll(name string) (Poller, error) {
	be := &pollBackend{}
	e, err := newEmu(name, be)
	if err != nil {
		return nil, err
	}
	be.fds = append(make([]unix.PollFd, 0, 64), unix.PollFd{Fd: int32(e.wakeFD), Events: unix.POLLIN})
	return e, nil
}

// pollDirtyMax bounds the list of changed slots a waiter replays; beyond it
// the waiter copies the whole array once.
const pollDirtyMax = 256

type pollBackend struct {
	fds   []unix.PollFd // the master array
	snaps []*pollSnap   // every waiter's copy, for dirty marking
}

// pollSnap is one Wait's copy of the pollfd array.
type pollSnap struct {
	be    *pollBackend
	e     *emu
	fds   []unix.PollFd
	dirty []int32 // slots changed since the last sync
	full  bool    // too many changes: copy everything
	seq   uint64  // emu.seq at the last sync
	one   [1]unix.PollFd
}

func (b *pollBackend) checkFD(fd int) error { return nil }

// recheck is 0: a parked poll registration waits for its re-arm.
func (b *pollBackend) recheck() time.Duration { return 0 }

func pollSlot(e *emu, it *emuItem) unix.PollFd {
	eff := it.effective()
	if eff == 0 {
		return unix.PollFd{Fd: int32(^it.fd)}
	}
	return unix.PollFd{Fd: int32(it.fd), Events: e.pollEvents(eff)}
}

func (b *pollBackend) markDirty(slot int) {
	for _, s := range b.snaps {
		if s.full {
			continue
		}
		if len(s.dirty) == cap(s.dirty) {
			s.full = true
			s.dirty = s.dirty[:0]
			continue
		}
		s.dirty = append(s.dirty, int32(slot))
	}
}

func (b *pollBackend) slotAdded(e *emu, i int) {
	b.fds = append(b.fds, pollSlot(e, &e.items[i]))
	b.markDirty(i + 1)
}

func (b *pollBackend) slotChanged(e *emu, i int) {
	b.fds[i+1] = pollSlot(e, &e.items[i])
	b.markDirty(i + 1)
}

func (b *pollBackend) slotRemoved(e *emu, i, last int) {
	b.fds[i+1] = b.fds[last+1]
	b.fds = b.fds[:last+1]
	if i != last {
		b.markDirty(i + 1)
	}
}

func (b *pollBackend) newWaiter(e *emu) emuWaiter {
	s := &pollSnap{be: b, e: e, dirty: make([]int32, 0, pollDirtyMax), full: true}
	b.snaps = append(b.snaps, s)
	return s
}

func (s *pollSnap) sync(e *emu) {
	s.seq = e.seq
	m := s.be.fds
	if s.full || cap(s.fds) < len(m) {
		s.fds = append(s.fds[:0], m...)
		s.full = false
		s.dirty = s.dirty[:0]
		return
	}
	s.fds = s.fds[:len(m)]
	for _, d := range s.dirty {
		if int(d) < len(m) {
			s.fds[d] = m[d]
		}
	}
	s.dirty = s.dirty[:0]
}

func (s *pollSnap) wait(msec int) (int, error) {
	return s.e.poll(s.fds, msec)
}

func (s *pollSnap) harvest(e *emu, n int, err error, out []Event, snapGen uint64) (int, error) {
	if err != nil {
		return 0, err
	}
	fds := s.fds
	if fds[0].Revents != 0 {
		e.drainWake()
		n--
	}
	slots := len(fds) - 1
	count := 0
	next := -1 // scan position after the last reported slot
	for k := 0; k < slots && n > 0; k++ {
		j := (e.rot+k)%slots + 1
		pf := &fds[j]
		if pf.Revents == 0 {
			continue
		}
		n--
		if pf.Fd < 0 {
			continue
		}
		i := e.lookup(int(pf.Fd))
		if i < 0 || e.items[i].gen > snapGen {
			continue // deleted (or deleted and added again) during the wait
		}
		it := &e.items[i]
		if count == len(out) {
			break
		}
		revents, fresh := pf.Revents, false
		if it.chg > s.seq {
			// Reported by another waiter, re-armed or modified since this
			// copy was made: what the blocking poll saw may be an edge
			// already given to another waiter. Look again, now.
			if revents, fresh = s.lookAgain(it), true; revents == 0 {
				continue
			}
		}
		if revents&unix.POLLNVAL != 0 {
			// Closed while registered: report once, then forget it.
			out[count] = Event{Events: Error, Data: it.data}
			count++
			next = k + 1
			e.removeAt(i)
			continue
		}
		got := e.fromPoll(revents) & it.effective()
		if got == 0 {
			// Only conditions not asked for. If the kernel was asked exactly
			// what is asked now, it keeps reporting masked ERR/HUP: park the
			// registration so the wait does not spin.
			if m := s.be.fds[i+1]; !fresh && m.Fd == pf.Fd && m.Events == pf.Events {
				e.park(i, it.want())
			}
			continue
		}
		out[count] = Event{Events: got, Data: it.data}
		count++
		next = k + 1
		e.report(i, got)
	}
	if next >= 0 && slots > 0 {
		e.rot = (e.rot + next) % slots
	}
	return count, nil
}

// lookAgain polls it's fd, without blocking, for what it asks now and
// returns the result bits (e.mu held); 0 when it asks for nothing.
func (s *pollSnap) lookAgain(it *emuItem) int16 {
	eff := it.effective()
	if eff == 0 {
		return 0
	}
	s.one[0] = unix.PollFd{Fd: int32(it.fd), Events: s.e.pollEvents(eff)}
	for {
		_, err := s.e.poll(s.one[:], 0)
		if err == nil {
			return s.one[0].Revents
		}
		if err != unix.EINTR {
			return 0
		}
	}
}
