//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"math/bits"
	"time"

	"golang.org/x/sys/unix"
)

// The select backend keeps its three fd_sets between calls, updated one bit
// at a time by Add, Modify and Delete; each Wait copies them (select(2)
// overwrites its arguments) and computes nfds from the highest set bit.
//
// This file is the backend on every system that has it; what differs per
// system is elsewhere: the call (select_call_linux.go: pselect6;
// select_call_bsd.go: unix.Select, a timeval, on darwin and the BSDs; both
// reach select_timeval.go), the reading of fd_set words of any element width
// (select_fdset.go) and FD_SETSIZE (fdsetsize.go; fdsetsize_netbsd.go). The
// wake descriptor and the poll(2) that reads conditions are the emulation's
// (emulate_sys_linux.go, emulate_sys_bsd.go).
//
// Sets: a registration is in the read set while it may report Readable,
// ReadHangup, Hangup or Error (the kernel's read set stands for IN, HUP and
// ERR), in the write set while it asks for Writable (OUT or ERR) and in the
// except set while it asks for Priority.
//
// Conditions: select's three bits cannot tell data from a hangup or an
// error, and have no ReadHangup. So select decides which fds are ready (the
// scan over every watched fd, the cost this backend exists to show), and
// the conditions of the ready fds only are then read with one zero-timeout
// poll(2) over them (O(ready)), which reports exactly what epoll would:
// Hangup, Error and ReadHangup included (on Linux and, where the kernel has
// POLLRDHUP, FreeBSD; darwin and the other BSDs have none, so there
// ReadHangup comes only with Hangup, as on their poll backend, and
// Capabilities.ReadHangup is false: see pollbits.go). This has no side
// effects, unlike recv(MSG_PEEK) or SO_ERROR, which would consume a socket's
// pending error.
//
// A registration that is readable only for a condition it did not ask for
// (data on an fd registered for Writable or for nothing) would make every
// select return at once. It is parked: taken out of the read set, and put
// back every selectRecheck (select's waits are cut to that while anything is
// parked), so a later Hangup or Error is still reported, late by at most
// that interval. Edge-triggered registrations whose data was reported but
// not drained are parked the same way until re-armed.
//
// Fds >= FDSetSize are refused by Add and Modify with ErrFDTooLarge (FD_SET
// on them is undefined behaviour in C and panics in x/sys/unix). A registered
// fd that the program closes makes select fail with EBADF: Wait then finds it
// with fcntl(F_GETFD), reports Error for it once and removes the registration.

// selectRecheck is how often parked select registrations are looked at again.
const selectRecheck = 10 * time.Millisecond

func init() {
	Register("select", NewSelect)
}

// NewSelect creates a Poller on select(2) with a user-space interest set and
// emulated edge-triggered and one-shot modes. It watches fds below FDSetSize.
func NewSelect() (Poller, error) { return newSelect("select") }

// newSelect creates a select backend Poller named name.
func newSelect(name string) (Poller, error) {
	be := &selectBackend{}
	e, err := newEmu(name, be)
	if err != nil {
		return nil, err
	}
	if e.wakeFD >= FDSetSize {
		e.Close()
		return nil, NewOpError(name, "new", -1, ErrFDTooLarge)
	}
	be.efd = e.wakeFD
	be.timeval = e.wakePipe
	be.r.Set(e.wakeFD)
	return e, nil
}

type selectBackend struct {
	efd     int
	timeval bool       // waits call unix.Select, as on darwin and the BSDs (always there; on Linux, select-pipewake in tests)
	r, w, x unix.FdSet // the master sets
}

func (b *selectBackend) recheck() time.Duration { return selectRecheck }

func (b *selectBackend) checkFD(fd int) error {
	if fd >= FDSetSize {
		return ErrFDTooLarge
	}
	return nil
}

// selectSets tells which sets a registration belongs to.
func selectSets(it *emuItem) (r, w, x bool) {
	eff := it.effective()
	return eff&(Readable|ReadHangup|Hangup|Error) != 0, eff&Writable != 0, eff&Priority != 0
}

func setBit(s *unix.FdSet, fd int, on bool) {
	if on {
		s.Set(fd)
	} else {
		s.Clear(fd)
	}
}

func (b *selectBackend) slotAdded(e *emu, i int) { b.slotChanged(e, i) }

func (b *selectBackend) slotChanged(e *emu, i int) {
	it := &e.items[i]
	r, w, x := selectSets(it)
	setBit(&b.r, it.fd, r)
	setBit(&b.w, it.fd, w)
	setBit(&b.x, it.fd, x)
}

func (b *selectBackend) slotRemoved(e *emu, i, last int) {
	fd := e.items[i].fd
	b.r.Clear(fd)
	b.w.Clear(fd)
	b.x.Clear(fd)
}

func (b *selectBackend) newWaiter(e *emu) emuWaiter { return &selectWaiter{be: b} }

// selectWaiter is one Wait's copy of the sets.
type selectWaiter struct {
	be            *selectBackend
	r, w, x       unix.FdSet
	nfds          int
	selectTimeout               // the timeout of the call, kept here for the kernel to read
	cls           []unix.PollFd // the ready fds, to read their conditions
}

func (s *selectWaiter) sync(e *emu) {
	b := s.be
	s.r, s.w, s.x = b.r, b.w, b.x
	s.nfds = 0
	for k := fdSetWords - 1; k >= 0; k-- {
		if u := setWord(&b.r, k) | setWord(&b.w, k) | setWord(&b.x, k); u != 0 {
			s.nfds = k*64 + bits.Len64(u)
			break
		}
	}
}

// harvest ignores n: the result bits themselves are walked.
func (s *selectWaiter) harvest(e *emu, _ int, err error, out []Event, snapGen uint64) (int, error) {
	if err == unix.EBADF {
		return s.badFDs(e, out), nil
	}
	if err != nil {
		return 0, err
	}
	if s.r.IsSet(s.be.efd) {
		e.drainWake()
	}
	// Collect the ready registrations from the result bits, in fd order
	// starting at the rotation offset (an fd number for this backend).
	s.cls = s.cls[:0]
	start := 0
	if e.rot < s.nfds {
		start = e.rot
	}
	s.collect(e, start, s.nfds, snapGen)
	s.collect(e, 0, start, snapGen)
	if len(s.cls) == 0 {
		return 0, nil
	}
	if _, err := e.poll(s.cls, 0); err != nil {
		return 0, nil // EINTR: Wait tries again
	}
	count := 0
	next := -1 // the fd after the last one reported
	for c := range s.cls {
		pf := &s.cls[c]
		if pf.Revents == 0 {
			continue // no longer ready
		}
		i := e.lookup(int(pf.Fd))
		if i < 0 {
			continue // removed by an earlier report of this harvest
		}
		if count == len(out) {
			break
		}
		it := &e.items[i]
		if pf.Revents&unix.POLLNVAL != 0 {
			out[count] = Event{Events: Error, Data: it.data}
			count++
			next = int(pf.Fd) + 1
			e.removeAt(i)
			continue
		}
		got := e.fromPoll(pf.Revents) & it.effective()
		if got == 0 {
			// Readable only for what was not asked (or is masked): park it
			// unless the interest changed since the sets were copied.
			if fd := int(pf.Fd); s.r.IsSet(fd) && s.be.r.IsSet(fd) && e.fromPoll(pf.Revents)&(Readable|ReadHangup|Hangup|Error) != 0 {
				e.park(i, Readable|ReadHangup|Hangup|Error)
			}
			continue
		}
		out[count] = Event{Events: got, Data: it.data}
		count++
		next = int(pf.Fd) + 1
		e.report(i, got)
	}
	if next >= 0 {
		e.rot = next
	}
	return count, nil
}

// collect appends the registrations among fds [lo, hi) that select found
// ready to the classification list (e.mu held).
func (s *selectWaiter) collect(e *emu, lo, hi int, snapGen uint64) {
	for k := lo / 64; k*64 < hi; k++ {
		word := setWord(&s.r, k) | setWord(&s.w, k) | setWord(&s.x, k)
		if k == lo/64 {
			word &= ^uint64(0) << (lo % 64)
		}
		if end := (k + 1) * 64; end > hi {
			word &= ^uint64(0) >> (end - hi)
		}
		for word != 0 {
			fd := k*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if fd == s.be.efd {
				continue
			}
			i := e.lookup(fd)
			if i < 0 || e.items[i].gen > snapGen {
				continue // deleted, or added during the wait: a stale result
			}
			s.cls = append(s.cls, unix.PollFd{Fd: int32(fd), Events: e.pollEvents(Readable | Priority | Writable | ReadHangup)})
		}
	}
}

// badFDs handles select's EBADF: every registered fd in a set that is no
// longer open is reported as Error and removed (e.mu held).
func (s *selectWaiter) badFDs(e *emu, out []Event) int {
	count := 0
	for i := len(e.items) - 1; i >= 0; i-- {
		it := &e.items[i]
		r, w, x := selectSets(it)
		if !r && !w && !x {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(it.fd), unix.F_GETFD, 0); err != unix.EBADF {
			continue
		}
		if count == len(out) {
			break
		}
		out[count] = Event{Events: Error, Data: it.data}
		count++
		e.removeAt(i)
	}
	return count
}
