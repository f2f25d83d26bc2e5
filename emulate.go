//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// This file holds the types of the user-space interest set shared by the
// poll and select backends (the "emulated" backends); its operations are in
// emulate_interest.go, emulate_wait.go and emulate_rearm.go, the wake
// descriptor in emulate_wake.go, and the calls that differ per system in
// emulate_sys_linux.go (eventfd, ppoll) and emulate_sys_bsd.go (pipe,
// poll, on darwin and the BSDs). The kernel keeps no state for them
// between calls, so this package does: a dense slice of registrations, an
// fd -> position index, and the backend's own call arguments (the pollfd
// array or the three fd_sets), all updated incrementally by Add, Modify and
// Delete. A Wait never rebuilds them.
//
// Level-triggered registrations are reported for as long as the kernel says
// the fd is ready.
//
// Edge-triggered registrations follow mio's model. When Wait reports a
// registration with conditions C, C are masked: they are left out of what is
// asked of the kernel, so an fd that stays ready is not reported again and
// does not make the next wait return at once. A masked condition is re-armed
// (and reported as soon as it holds again) when one of these happens:
//
//  1. Modify is called for the fd (Modify re-checks readiness on every backend).
//  2. noteWouldBlock reports that a read-side (read, accept, recvfrom) or
//     write-side (write, writev, sendto) call on the fd failed with EAGAIN.
//     This is mio's rule: the program drained the fd, so the next arrival is
//     a new edge. The host Kernel's I/O methods are where it belongs; a
//     program that does its own I/O gets the same effect by calling Modify
//     after EAGAIN (rule 1).
//  3. The first Wait after the report finds, with a zero-timeout poll(2) over
//     the registrations it just reported, that the condition no longer holds:
//     the program drained the fd. (Readiness that dropped and came back
//     before that Wait is a new edge this rule cannot see; rules 1 and 2
//     cover it.)
//
// This is stricter than kernel ET (where every new arrival re-queues the
// item): new data on an fd that was not drained produces no event.
//
// One-shot registrations are disabled after one report: nothing at all, not
// even Error or Hangup, is reported until Modify re-arms them. They stay
// registered (Add fails with EEXIST, Delete works).
//
// A registration for which the kernel keeps reporting only conditions that
// are masked (for example a Hangup already reported in edge-triggered mode)
// is parked: left out of the wait until it is re-armed as above, so a wait
// never spins.
//
// Wake: a wake descriptor (an eventfd on Linux, a pipe's read end elsewhere)
// sits in a fixed place of the call arguments (slot 0 of the pollfd array,
// its bit in the read set). Wake sets a flag; only the Wake that sets it
// writes the wake descriptor, and only when a Wait is blocked in the system
// call (a Wait not yet blocked sees the flag and does not block). A Wait
// that consumes the flag returns, possibly with n == 0; the wake descriptor
// is drained when the kernel reports it, and a Wait woken by it without the
// flag (an interrupt, see below) goes back to waiting.
//
// Concurrency: one mutex guards the interest set; a Wait holds it only while
// it copies changes into its private call arguments and while it harvests
// results, never while blocked in the system call. Add, Modify and Delete
// interrupt a blocked Wait through the wake descriptor (so their effect is
// immediate), and results are matched back to registrations by fd and
// registration serial under the mutex, so an fd deleted (or deleted and added
// again) while a Wait was blocked is never reported for the old registration.
//
// Many concurrent Waits keep the kernel's promises (fs/eventpoll.c):
//
//   - One readiness change of an edge-triggered or one-shot registration is
//     reported to exactly one Wait. Every change of a registration's masks or
//     state gets a change serial; a Wait whose copy of the call arguments
//     predates it looks at the fd again, without blocking and under the
//     mutex, before reporting it (select does so for every ready fd anyway),
//     so an edge another Wait was given, or a drained and re-armed fd, is not
//     reported twice.
//   - A Wait that started before an Add or Modify that makes an fd ready is
//     woken by it, and a Wait whose timeout expires after such a change looks
//     once more without blocking before it returns 0 (epoll_wait looks at its
//     ready list at the timeout too).
//   - No Wait sleeps on an old copy of the interest set while no other Wait
//     watches the current one: the Waits an interrupt was meant for are
//     counted until they are back from the system call, and a Wait that
//     returns while some of them are still asleep (another Wait drained the
//     wake descriptor before their kernel wait looked at it) writes it again.

// alwaysReported are delivered whether asked for or not (the emulated
// backends add them to every registration, as epoll and poll(2) do).
const alwaysReported = Error | Hangup

// emuItem is one registration of an emulated backend.
type emuItem struct {
	fd       int
	gen      uint64 // registration serial: results older than it are stale
	data     uint64
	ev       Events // conditions and modes as given to Add or Modify
	masked   Events // edge-triggered: reported and not re-armed
	parked   Events // suppressed conditions while the kernel reports only masked ones
	disabled bool   // one-shot: reported, waiting for Modify
	probing  bool   // listed in emu.probe
	chg      uint64 // emu.seq when the interest, masks or state last changed
}

// want is every condition the registration may report.
func (it *emuItem) want() Events { return it.ev&conditionMask | alwaysReported }

// effective is what is asked of the kernel now.
func (it *emuItem) effective() Events {
	if it.disabled {
		return 0
	}
	return it.want() &^ it.masked &^ it.parked
}

func (it *emuItem) flagged() bool { return it.masked != 0 || it.parked != 0 }

// emuBackend is what differs between poll and select: how a registration is
// stored in the call arguments, and how a wait is made.
type emuBackend interface {
	// checkFD refuses fds the backend cannot watch (Add and Modify).
	checkFD(fd int) error
	// recheck is how often parked registrations are put back into the
	// wait; 0: only when re-armed.
	recheck() time.Duration
	// slotAdded records items[i], just appended.
	slotAdded(e *emu, i int)
	// slotChanged records a new effective interest of items[i].
	slotChanged(e *emu, i int)
	// slotRemoved forgets items[i]; items[last] will move to position i.
	slotRemoved(e *emu, i, last int)
	// newWaiter allocates the private state of one concurrent Wait.
	newWaiter(e *emu) emuWaiter
}

// emuWaiter is the private state of one Wait: its copy of the call arguments.
type emuWaiter interface {
	// sync brings the private copy up to date (e.mu held).
	sync(e *emu)
	// wait makes the system call (e.mu not held); msec < 0 blocks.
	wait(msec int) (int, error)
	// harvest turns the results into events (e.mu held). It drains the wake
	// fd when it was seen ready. err is the system call's error other than
	// EINTR; harvest returns the error Wait should return, if any.
	harvest(e *emu, n int, err error, out []Event, snapGen uint64) (int, error)
}

// emu is the interest set and wait logic shared by the poll and select backends.
type emu struct {
	name     string
	be       emuBackend
	rdhupBit int16 // the poll(2) bit that asks for and reports ReadHangup; 0: none, ReadHangup comes with POLLHUP only (emuRdhupBit)

	wakeReq atomic.Bool // a Wake not yet consumed by a Wait
	closedA atomic.Bool // mirrors closed for lock-free checks

	mu         sync.Mutex
	closed     bool
	wakeFD     int  // Wake and interrupts of blocked Waits: the end waited on
	wakeW      int  // the end written: wakeFD for an eventfd, a pipe's other end
	wakePipe   bool // wakeFD and wakeW are the ends of a pipe, and waits use unix.Poll (select: unix.Select)
	wakeClosed bool
	waiters    int    // Waits inside the system call
	intrSent   bool   // the wake descriptor was written and not drained yet
	intrGen    uint64 // interest changes that interrupt Waits (see interrupt)
	nStale     int    // Waits in the system call that missed an interrupt's change
	items      []emuItem
	index      []int32 // fd -> position in items + 1; 0: not registered
	gen        uint64  // last registration serial handed out
	seq        uint64  // last item change serial handed out (emuItem.chg)
	rot        int     // where the next harvest starts (rotation)
	free       []emuWaiter
	probe      []int32 // edge-triggered fds reported by the last harvest
	probeBuf   []unix.PollFd
	nFlagged   int       // items with masked or parked conditions
	nParked    int       // items with parked conditions
	nWrites    int       // wake writes so far (for tests)
	unparked   time.Time // last time parked items were put back (recheck)
	drainBuf   [8]byte
	oneBuf     [8]byte
}

// emuAll lists the live emulating pollers, for noteWouldBlock.
var emuAll struct {
	mu   sync.RWMutex
	list []*emu
}

// emuFlagged counts registrations with masked conditions over all pollers:
// noteWouldBlock returns at once while it is zero.
var emuFlagged atomic.Int64

func newEmu(name string, be emuBackend) (*emu, error) {
	r, w, pipe, err := openWake(emuPipeWake(name))
	if err != nil {
		return nil, NewOpError(name, "new", -1, err)
	}
	e := &emu{
		name:     name,
		be:       be,
		wakeFD:   r,
		wakeW:    w,
		wakePipe: pipe,
		rdhupBit: emuRdhupBit(name),
		probe:    make([]int32, 0, 64),
		probeBuf: make([]unix.PollFd, 0, 64),
	}
	e.oneBuf = wakeOne
	emuAll.mu.Lock()
	emuAll.list = append(emuAll.list, e)
	emuAll.mu.Unlock()
	return e, nil
}

// slotChanged records a change of items[i]'s interest, masks or state: it
// is stamped with a new change serial (so that a Wait whose copy of the call
// arguments predates it looks at the fd again before reporting it) and the
// backend's call arguments are updated (e.mu held).
func (e *emu) slotChanged(i int) {
	e.seq++
	e.items[i].chg = e.seq
	e.be.slotChanged(e, i)
}

func (e *emu) lookup(fd int) int {
	if fd < 0 || fd >= len(e.index) {
		return -1
	}
	return int(e.index[fd]) - 1
}

func (e *emu) opErr(op string, fd int, err error) error {
	return NewOpError(e.name, op, fd, err)
}

// Close implements Poller.Close.
func (e *emu) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return e.opErr("close", -1, ErrClosed)
	}
	e.closed = true
	e.closedA.Store(true)
	emuFlagged.Add(-int64(e.nFlagged))
	e.nFlagged = 0
	var err error
	if e.waiters > 0 {
		e.writeWake() // the last Wait to leave closes the wake descriptor
	} else {
		err = e.closeWake()
	}
	e.mu.Unlock()

	emuAll.mu.Lock()
	for i, x := range emuAll.list {
		if x == e {
			emuAll.list = append(emuAll.list[:i], emuAll.list[i+1:]...)
			break
		}
	}
	emuAll.mu.Unlock()
	if err != nil {
		return e.opErr("close", -1, err)
	}
	return nil
}

// Backend implements Poller.Backend.
func (e *emu) Backend() string { return e.name }

// Capabilities implements Capable: edge triggering emulated in user space;
// ReadHangup for a peer's write shutdown where poll(2) has a POLLRDHUP
// (Linux; FreeBSD where the kernel reports it), not on darwin and the other
// BSDs.
func (e *emu) Capabilities() Capabilities {
	c := Capabilities{EmulatedEdge: true, ReadHangup: e.rdhupBit != 0}
	if _, ok := e.be.(*selectBackend); ok {
		c.FDLimit = FDSetSize
	}
	return c
}
