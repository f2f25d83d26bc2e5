//go:build linux

package eventpoll

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds the user-space interest set shared by the poll and select
// backends (the "emulated" backends). The kernel keeps no state for them
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
// Wake: an eventfd sits in a fixed place of the call arguments (slot 0 of
// the pollfd array, its bit in the read set). Wake sets a flag; only the
// Wake that sets it writes the eventfd, and only when a Wait is blocked in
// the system call (a Wait not yet blocked sees the flag and does not block).
// A Wait that consumes the flag returns, possibly with n == 0; the eventfd
// is drained when the kernel reports it, and a Wait woken by it without the
// flag (an interrupt, see below) goes back to waiting.
//
// Concurrency: one mutex guards the interest set; a Wait holds it only while
// it copies changes into its private call arguments and while it harvests
// results, never while blocked in the system call. Add, Modify and Delete
// interrupt a blocked Wait through the wake eventfd (so their effect is
// immediate), and results are matched back to registrations by fd and
// registration serial under the mutex, so an fd deleted (or deleted and added
// again) while a Wait was blocked is never reported for the old registration.

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
	socket   bool   // the fd is a socket (select emulates ReadHangup on sockets)
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
	name string
	be   emuBackend

	wakeReq atomic.Bool // a Wake not yet consumed by a Wait
	closedA atomic.Bool // mirrors closed for lock-free checks

	mu        sync.Mutex
	closed    bool
	efd       int // eventfd: Wake and interrupts of blocked Waits
	efdClosed bool
	waiters   int  // Waits inside the system call
	intrSent  bool // the eventfd was written and not drained yet
	items     []emuItem
	index     []int32 // fd -> position in items + 1; 0: not registered
	gen       uint64  // last registration serial handed out
	rot       int     // where the next harvest starts (rotation)
	free      []emuWaiter
	probe     []int32 // edge-triggered fds reported by the last harvest
	probeBuf  []unix.PollFd
	nFlagged  int       // items with masked or parked conditions
	nParked   int       // items with parked conditions
	nWrites   int       // eventfd writes so far (for tests)
	unparked  time.Time // last time parked items were put back (recheck)
	drainBuf  [8]byte
	oneBuf    [8]byte
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
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, NewOpError(name, "new", -1, err)
	}
	e := &emu{
		name:     name,
		be:       be,
		efd:      efd,
		probe:    make([]int32, 0, 64),
		probeBuf: make([]unix.PollFd, 0, 64),
	}
	*(*uint64)(unsafe.Pointer(&e.oneBuf[0])) = 1
	emuAll.mu.Lock()
	emuAll.list = append(emuAll.list, e)
	emuAll.mu.Unlock()
	return e, nil
}

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
	e.be.slotChanged(e, i)
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

func (e *emu) lookup(fd int) int {
	if fd < 0 || fd >= len(e.index) {
		return -1
	}
	return int(e.index[fd]) - 1
}

// interrupt makes Waits blocked in the system call return and look at the
// interest set again (e.mu held). Several interrupts cost one write.
func (e *emu) interrupt() {
	if e.waiters > 0 && !e.intrSent {
		e.intrSent = true
		e.writeEventfd()
	}
}

func (e *emu) writeEventfd() {
	e.nWrites++
	for {
		_, err := unix.Write(e.efd, e.oneBuf[:])
		if err != unix.EINTR {
			return // EAGAIN: the counter is full, the fd is readable anyway
		}
	}
}

// drainEventfd empties the wake eventfd (e.mu held).
func (e *emu) drainEventfd() {
	for {
		_, err := unix.Read(e.efd, e.drainBuf[:])
		if err != unix.EINTR {
			break
		}
	}
	e.intrSent = false
}

func (e *emu) opErr(op string, fd int, err error) error {
	return NewOpError(e.name, op, fd, err)
}

// checkFD applies epoll's fd checks: EBADF for an fd that is not open, EPERM
// for a regular file or a directory (which poll and select would always
// report ready). It reports whether fd is a socket.
func checkFD(fd int) (socket bool, err error) {
	if fd < 0 {
		return false, unix.EBADF
	}
	var st unix.Stat_t
	for {
		err = unix.Fstat(fd, &st)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return false, err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFDIR:
		return false, unix.EPERM
	case unix.S_IFSOCK:
		return true, nil
	}
	return false, nil
}

// Add implements Poller.Add.
func (e *emu) Add(fd int, ev Events, data uint64) error {
	if err := CheckEvents(ev, data); err != nil {
		return e.opErr("add", fd, err)
	}
	if e.closedA.Load() {
		return e.opErr("add", fd, ErrClosed)
	}
	if ev&Exclusive != 0 {
		return e.opErr("add", fd, ErrUnsupported)
	}
	sock, err := checkFD(fd)
	if err != nil {
		return e.opErr("add", fd, err)
	}
	if err := e.be.checkFD(fd); err != nil {
		return e.opErr("add", fd, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return e.opErr("add", fd, ErrClosed)
	}
	if e.lookup(fd) >= 0 {
		return e.opErr("add", fd, unix.EEXIST)
	}
	if fd >= len(e.index) {
		n := 2 * len(e.index)
		if n < fd+1 {
			n = fd + 1
		}
		if n < 64 {
			n = 64
		}
		idx := make([]int32, n)
		copy(idx, e.index)
		e.index = idx
	}
	e.gen++
	e.items = append(e.items, emuItem{fd: fd, gen: e.gen, data: data, ev: ev, socket: sock})
	i := len(e.items) - 1
	e.index[fd] = int32(i + 1)
	e.be.slotAdded(e, i)
	e.interrupt()
	return nil
}

// Modify implements Poller.Modify.
func (e *emu) Modify(fd int, ev Events, data uint64) error {
	if err := CheckEvents(ev, data); err != nil {
		return e.opErr("modify", fd, err)
	}
	if e.closedA.Load() {
		return e.opErr("modify", fd, ErrClosed)
	}
	if ev&Exclusive != 0 {
		return e.opErr("modify", fd, ErrUnsupported)
	}
	if _, err := checkFD(fd); err != nil {
		return e.opErr("modify", fd, err)
	}
	if err := e.be.checkFD(fd); err != nil {
		return e.opErr("modify", fd, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return e.opErr("modify", fd, ErrClosed)
	}
	i := e.lookup(fd)
	if i < 0 {
		return e.opErr("modify", fd, unix.ENOENT)
	}
	it := &e.items[i]
	was, wasParked := it.flagged(), it.parked != 0
	it.ev, it.data = ev, data
	it.masked, it.parked, it.disabled = 0, 0, false
	e.account(was, wasParked, it)
	e.be.slotChanged(e, i)
	e.interrupt()
	return nil
}

// Delete implements Poller.Delete. An fd closed while registered gives
// EBADF, as with epoll, and its registration is removed.
func (e *emu) Delete(fd int) error {
	if e.closedA.Load() {
		return e.opErr("delete", fd, ErrClosed)
	}
	_, ferr := checkFD(fd)
	if ferr != nil && ferr != unix.EBADF {
		return e.opErr("delete", fd, ferr)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return e.opErr("delete", fd, ErrClosed)
	}
	i := e.lookup(fd)
	if i >= 0 {
		e.removeAt(i)
		e.interrupt()
	}
	if ferr != nil {
		return e.opErr("delete", fd, ferr)
	}
	if i < 0 {
		return e.opErr("delete", fd, unix.ENOENT)
	}
	return nil
}

// removeAt deletes items[i] by moving the last item into its place (e.mu held).
func (e *emu) removeAt(i int) {
	last := len(e.items) - 1
	it := &e.items[i]
	if it.flagged() {
		e.nFlagged--
		emuFlagged.Add(-1)
	}
	if it.parked != 0 {
		e.nParked--
	}
	fd := it.fd
	e.be.slotRemoved(e, i, last)
	e.items[i] = e.items[last]
	e.index[e.items[i].fd] = int32(i + 1)
	e.index[fd] = 0
	e.items[last] = emuItem{}
	e.items = e.items[:last]
}

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
	e.interrupt()
	return nil
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
		e.writeEventfd() // the last Wait to leave closes the eventfd
	} else {
		e.efdClosed = true
		err = unix.Close(e.efd)
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

// Capabilities implements Capable: edge triggering emulated in user space.
func (e *emu) Capabilities() Capabilities {
	c := Capabilities{EmulatedEdge: true}
	if e.name == "select" {
		c.FDLimit = FDSetSize
	}
	return c
}

// Wait implements Poller.Wait.
func (e *emu) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, e.opErr("wait", -1, unix.EINVAL)
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
		snapGen := e.gen
		if e.wakeReq.Load() {
			msec = 0
		}
		e.waiters++
		e.mu.Unlock()
		n, err := w.wait(msec)
		e.mu.Lock()
		e.waiters--
		if e.closed {
			return e.leave(w, 0, e.opErr("wait", -1, ErrClosed))
		}
		if err == unix.EINTR {
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
			e.be.slotChanged(e, i)
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
	if e.closed && e.waiters == 0 && !e.efdClosed {
		e.efdClosed = true
		unix.Close(e.efd)
	}
	e.mu.Unlock()
	return n, err
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
	e.be.slotChanged(e, i)
}

// park suppresses items[i] (or the conditions in bits) until it is re-armed:
// the kernel keeps reporting only conditions that are masked (e.mu held).
func (e *emu) park(i int, bits Events) {
	it := &e.items[i]
	was, wasParked := it.flagged(), it.parked != 0
	it.parked |= bits
	e.account(was, wasParked, it)
	e.be.slotChanged(e, i)
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
		buf = append(buf, unix.PollFd{Fd: fd, Events: pollEvents(it.masked)})
	}
	e.probe = e.probe[:0]
	e.probeBuf = buf[:0]
	if len(buf) == 0 {
		return
	}
	if _, err := ppoll(buf, 0); err != nil {
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
		drop := it.masked &^ fromPoll(pf.Revents)
		if drop == 0 || it.disabled {
			continue
		}
		was, wasParked := it.flagged(), it.parked != 0
		it.masked &^= drop
		e.account(was, wasParked, it)
		e.be.slotChanged(e, i)
	}
}

// pollEvents translates conditions to poll(2) request bits. The values of
// POLLIN, POLLPRI, POLLOUT and POLLRDHUP equal their EPOLL* counterparts;
// POLLERR and POLLHUP are always reported and need not be asked for.
func pollEvents(ev Events) int16 {
	return int16(ev & (Readable | Priority | Writable | ReadHangup))
}

// fromPoll translates poll(2) result bits to conditions.
func fromPoll(revents int16) Events {
	return Events(uint16(revents)) & conditionMask
}

// ppoll calls ppoll(2) (poll(2) with a timespec; the same kernel code) with a
// timeout in milliseconds, negative for none.
func ppoll(fds []unix.PollFd, msec int) (int, error) {
	var ts unix.Timespec
	var tsp unsafe.Pointer
	if msec >= 0 {
		ts.Sec = int64(msec / 1000)
		ts.Nsec = int64(msec%1000) * 1e6
		tsp = unsafe.Pointer(&ts)
	}
	var p unsafe.Pointer
	if len(fds) > 0 {
		p = unsafe.Pointer(&fds[0])
	}
	r, _, errno := unix.Syscall6(unix.SYS_PPOLL, uintptr(p), uintptr(len(fds)), uintptr(tsp), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}
