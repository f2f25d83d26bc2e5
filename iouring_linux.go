package eventpoll

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/eventpoll/eventpoll/internal/uring"
	"golang.org/x/sys/unix"
)

// The io_uring backend watches fds with IORING_OP_POLL_ADD requests on a
// ring and keeps the interest list and the ready list in user space.
//
// Modes. Each registration has at most one poll request in the kernel:
//
//   - Level-triggered: a single-shot poll. Its completion puts the fd on the
//     ready list; delivering it queues a new single-shot poll, which the
//     kernel checks at once when it is submitted (with the next Wait, or at
//     once while a Wait is blocked). An fd that is still ready is therefore
//     reported again by the next Wait and one that was drained is not: the
//     readiness is re-checked after each delivery, as epoll does.
//   - EdgeTriggered: a multishot poll (IORING_POLL_ADD_MULTI). The kernel
//     posts a completion at registration when the fd is ready and then on
//     every wake-up of the fd's wait queue that matches the interest: every
//     new arrival, as with epoll's ET. Completions that pile up between
//     Waits merge into one event carrying every condition they reported.
//   - OneShot: a single-shot poll that is not renewed after delivery;
//     Modify submits a new one.
//
// io_uring always watches ERR, HUP and RDHUP. A completion that carries
// only conditions the registration did not ask for (RDHUP without
// ReadHangup) is not reported; its single-shot poll is replaced by a
// multishot one (parked), so that a condition that stays true does not make
// every Wait spin, until a completion has something to report.
//
// Registration changes are batched: Add, Modify and Delete queue submission
// entries (POLL_ADD, POLL_REMOVE) that the next Wait submits with the same
// io_uring_enter that waits; while a Wait is blocked in the kernel they are
// submitted at once, so an Add of a ready fd wakes that Wait. Add checks the
// fd with fstat first, so its errors are epoll's: EBADF, EPERM for regular
// files and directories, EEXIST. Modify and Delete make no system call:
// ENOENT and EBADF (negative fd) come from the interest list.
//
// Stale completions: every poll request carries the fd and a serial number
// in its user data; a completion whose serial is not the registration's
// current one (the fd was modified, deleted, or deleted and added again) is
// dropped, so it never reaches the new registration.
//
// Closing a registered fd without Delete: the kernel's poll request holds a
// reference to the open file, so the file stays open (a socket sends no FIN)
// until the request completes or is removed. A renewed poll of a closed fd
// fails with EBADF; it is reported once as Error and the registration is
// removed, as the poll backend does. Registrations are keyed by fd number
// (KeyedByFile is false): delete before closing.
//
// Wait from several goroutines: one reaps the completion queue into the
// ready list under a mutex; the kernel wakes one blocked waiter per batch of
// completions, so a Wait that leaves events on the ready list while others
// are blocked posts a no-op to wake the next one (epoll wakes the next
// waiter the same way). Wake posts a no-op with a reserved user data only
// when a Wait is blocked in the kernel; otherwise it marks the next Wait.
//
// Completions of a poll run as task work on the thread that submitted it;
// Go moves goroutines between threads, so a poll submitted by another
// goroutine than the waiting one may cost a wake-up of that thread.

func init() { Register("io_uring", newIOUring) }

// Ring sizes: submissions are flushed whenever the queue fills, and the
// completion queue holds one batch of readiness changes (more wait in the
// kernel's overflow list and are reaped in the next round).
const (
	uringSQEntries = 256
	uringCQEntries = 4096
)

// User data values. Poll requests use fd | serial<<32 with 0 < serial <
// 1<<31; the top bit marks the backend's own requests: the removal of poll
// key carries uringTagBit|key, the no-ops carry serial 0.
const (
	uringTagBit  = uint64(1) << 63
	uringWakeTag = uringTagBit | 1 // Wake's no-op
	uringKickTag = uringTagBit | 2 // wakes a blocked Wait (ready list, Close)
)

// uringArm says which poll request a registration has in the kernel.
type uringArm uint8

const (
	armNone   uringArm = iota
	armSingle          // single-shot POLL_ADD
	armMulti           // multishot POLL_ADD (edge-triggered)
	armParked          // multishot POLL_ADD standing in for a single-shot whose completion had nothing to report
)

// uringReg is one registration, indexed by fd.
type uringReg struct {
	data     uint64
	ev       Events // conditions and modes as given to Add or Modify
	pend     Events // conditions to deliver (on the ready list)
	serial   uint32 // serial of the poll request in the kernel
	arm      uringArm
	live     bool
	queued   bool     // on the ready list
	disabled bool     // one-shot, delivered
	dead     bool     // the kernel refused the fd: deliver Error once, then forget
	renew    uringArm // poll to submit after the reap (p.later)
}

// want is every condition the registration may report.
func (r *uringReg) want() Events { return r.ev&conditionMask | alwaysReported }

type uringPoller struct {
	// life is held for reading by every operation and for writing by Close,
	// so the ring is never used after it was unmapped.
	life    sync.RWMutex
	closedA atomic.Bool
	woken   atomic.Uint32 // a Wake not yet consumed by a Wait

	mu          sync.Mutex
	closed      bool
	ring        *uring.Ring
	regs        []uringReg
	ready       []int32  // fds with events to deliver, oldest first
	later       []int32  // fds whose poll ended without an event to deliver
	removeLater []uint64 // polls whose removal found them busy
	readyHead   int
	serial      uint32
	blocked     int  // Waits inside io_uring_enter
	wakeSeen    bool // a Wake arrived for the next Wait to consume
	cqes        [256]uring.CQE
	args        []*uring.WaitArg // free WaitArgs of blocking enters
}

func newIOUring() (Poller, error) {
	r, err := openUring()
	if err != nil {
		return nil, NewOpError("io_uring", "new", -1, fmt.Errorf("%w: %w", ErrUnavailable, err))
	}
	return &uringPoller{ring: r}, nil
}

// openUring creates a ring and checks that the kernel has what the backend
// needs: IORING_FEAT_NODROP, IORING_FEAT_EXT_ARG (a timeout on the wait,
// Linux 5.11) and the NOP, POLL_ADD and POLL_REMOVE operations
// (IORING_REGISTER_PROBE).
func openUring() (*uring.Ring, error) { return openUringSized(uringSQEntries, uringCQEntries) }

func openUringSized(sq, cq uint32) (*uring.Ring, error) {
	opt := uring.Options{CQEntries: cq, Flags: uring.SetupSubmitAll}
	r, err := uring.New(sq, opt)
	if errors.Is(err, unix.EINVAL) {
		opt.Flags = 0 // before Linux 5.18
		r, err = uring.New(sq, opt)
	}
	if err != nil {
		return nil, err
	}
	if need := uring.FeatNoDrop | uring.FeatExtArg; r.Features()&need != need {
		r.Close()
		return nil, fmt.Errorf("io_uring without IORING_FEAT_NODROP and IORING_FEAT_EXT_ARG (Linux < 5.11): %w", unix.ENOSYS)
	}
	probe, err := r.Probe()
	if err != nil {
		r.Close()
		return nil, err
	}
	for _, op := range []struct {
		op   uint8
		name string
	}{{uring.OpNop, "IORING_OP_NOP"}, {uring.OpPollAdd, "IORING_OP_POLL_ADD"}, {uring.OpPollRemove, "IORING_OP_POLL_REMOVE"}} {
		if !probe.Supported(op.op) {
			r.Close()
			return nil, fmt.Errorf("io_uring: the kernel lacks %s (IORING_REGISTER_PROBE): %w", op.name, unix.ENOSYS)
		}
	}
	return r, nil
}

func (p *uringPoller) Backend() string { return "io_uring" }

// Capabilities implements Capable: edge triggering comes from the kernel
// (a multishot poll posts a completion per wake-up, and each is delivered
// to one Wait), registrations are keyed by fd number; ReadHangup comes
// from POLLRDHUP.
func (p *uringPoller) Capabilities() Capabilities {
	return Capabilities{KernelEdge: true, ReadHangup: true}
}

func (p *uringPoller) opErr(op string, fd int, err error) error {
	return NewOpError("io_uring", op, fd, err)
}

// uringPollMask translates conditions to poll(2) bits for POLL_ADD.
func uringPollMask(ev Events) uint32 {
	var m uint32
	if ev&Readable != 0 {
		m |= unix.POLLIN
	}
	if ev&Priority != 0 {
		m |= unix.POLLPRI
	}
	if ev&Writable != 0 {
		m |= unix.POLLOUT
	}
	if ev&ReadHangup != 0 {
		m |= unix.POLLRDHUP
	}
	if bigEndian {
		// The kernel swaps the halves of poll32_events on big-endian
		// machines (liburing's __swahw32).
		m = m<<16 | m>>16
	}
	return m
}

// uringEvents translates the poll(2) bits of a completion to conditions.
func uringEvents(res uint32) Events {
	var ev Events
	if res&unix.POLLIN != 0 {
		ev |= Readable
	}
	if res&unix.POLLPRI != 0 {
		ev |= Priority
	}
	if res&unix.POLLOUT != 0 {
		ev |= Writable
	}
	if res&(unix.POLLERR|unix.POLLNVAL) != 0 {
		ev |= Error
	}
	if res&unix.POLLHUP != 0 {
		ev |= Hangup
	}
	if res&unix.POLLRDHUP != 0 {
		ev |= ReadHangup
	}
	return ev
}

var bigEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 0
}()

func uringKey(fd int, serial uint32) uint64 { return uint64(uint32(fd)) | uint64(serial)<<32 }

// reg returns fd's slot, growing the table (p.mu held).
func (p *uringPoller) reg(fd int) *uringReg {
	if fd >= len(p.regs) {
		n := max(64, 2*len(p.regs), fd+1)
		regs := make([]uringReg, n)
		copy(regs, p.regs)
		p.regs = regs
	}
	return &p.regs[fd]
}

// lookup returns fd's live registration or nil (p.mu held).
func (p *uringPoller) lookup(fd int) *uringReg {
	if fd < 0 || fd >= len(p.regs) || !p.regs[fd].live {
		return nil
	}
	return &p.regs[fd]
}

// sqe returns a free submission entry, submitting the queue when it is
// full (p.mu held).
func (p *uringPoller) sqe() *uring.SQE {
	for {
		if s := p.ring.NextSQE(); s != nil {
			return s
		}
		if err := p.submit(); err != nil {
			// The kernel could not take entries now (out of memory, or
			// completions it cannot post): make room in the completion
			// queue and try again.
			p.reap()
			time.Sleep(time.Millisecond)
		}
	}
}

// submit hands every queued entry to the kernel without waiting (p.mu held).
func (p *uringPoller) submit() error {
	n := p.ring.Flush()
	if n == 0 {
		return nil
	}
	_, err := p.ring.Submit(n, 0)
	return err
}

// submitIfBlocked submits queued entries at once when a Wait is blocked in
// the kernel, which would not see them otherwise (p.mu held).
func (p *uringPoller) submitIfBlocked() {
	if p.blocked > 0 && p.ring.Unsubmitted() > 0 {
		p.submit()
	}
}

// kick posts a no-op that makes one blocked Wait return from the kernel (p.mu held).
func (p *uringPoller) kick() {
	p.sqe().PrepNop(uringKickTag)
	p.submit()
}

// armFor queues the poll request r's mode calls for, under a new serial (p.mu held).
func (p *uringPoller) armFor(fd int, r *uringReg) {
	if r.ev&(EdgeTriggered|OneShot) == EdgeTriggered {
		p.arm(fd, r, armMulti)
	} else {
		p.arm(fd, r, armSingle)
	}
}

func (p *uringPoller) arm(fd int, r *uringReg, how uringArm) {
	p.serial++
	if p.serial >= 1<<31 {
		p.serial = 1
	}
	r.serial = p.serial
	r.arm = how
	var flags uint32
	if how != armSingle {
		flags = uring.PollAddMulti
	}
	p.sqe().PrepPollAdd(fd, uringPollMask(r.ev), flags, uringKey(fd, r.serial))
}

// disarm queues the removal of r's poll request, if any (p.mu held). Its
// completions, if some are still posted, are stale from now on.
func (p *uringPoller) disarm(fd int, r *uringReg) {
	if r.arm != armNone {
		key := uringKey(fd, r.serial)
		p.sqe().PrepPollRemove(key, uringTagBit|key)
		r.arm = armNone
	}
	r.serial = 0
}

func (p *uringPoller) Add(fd int, events Events, data uint64) error {
	if err := CheckEvents(events, data); err != nil {
		return p.opErr("add", fd, err)
	}
	if events&Exclusive != 0 {
		return p.opErr("add", fd, ErrUnsupported)
	}
	p.life.RLock()
	defer p.life.RUnlock()
	if p.closedA.Load() {
		return p.opErr("add", fd, ErrClosed)
	}
	if err := checkFD(fd); err != nil {
		return p.opErr("add", fd, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.opErr("add", fd, ErrClosed)
	}
	if fd == p.ring.Fd() {
		// The poller's own ring is not the caller's to watch.
		return p.opErr("add", fd, unix.EINVAL)
	}
	r := p.reg(fd)
	if r.live {
		return p.opErr("add", fd, unix.EEXIST)
	}
	*r = uringReg{live: true, ev: events, data: data}
	p.armFor(fd, r)
	p.submitIfBlocked()
	return nil
}

func (p *uringPoller) Modify(fd int, events Events, data uint64) error {
	if err := CheckEvents(events, data); err != nil {
		return p.opErr("modify", fd, err)
	}
	if events&Exclusive != 0 {
		return p.opErr("modify", fd, ErrUnsupported)
	}
	if fd < 0 {
		return p.opErr("modify", fd, unix.EBADF)
	}
	p.life.RLock()
	defer p.life.RUnlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.opErr("modify", fd, ErrClosed)
	}
	r := p.lookup(fd)
	if r == nil {
		return p.opErr("modify", fd, unix.ENOENT)
	}
	p.disarm(fd, r)
	*r = uringReg{live: true, ev: events, data: data}
	p.armFor(fd, r)
	p.submitIfBlocked()
	return nil
}

func (p *uringPoller) Delete(fd int) error {
	if fd < 0 {
		return p.opErr("delete", fd, unix.EBADF)
	}
	p.life.RLock()
	defer p.life.RUnlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.opErr("delete", fd, ErrClosed)
	}
	r := p.lookup(fd)
	if r == nil {
		return p.opErr("delete", fd, unix.ENOENT)
	}
	p.disarm(fd, r)
	*r = uringReg{}
	// Submitted at once while a Wait is blocked, so that the kernel drops
	// its reference to the file (a close after Delete then really closes).
	p.submitIfBlocked()
	return nil
}

func (p *uringPoller) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, p.opErr("wait", -1, unix.EINVAL)
	}
	p.life.RLock()
	defer p.life.RUnlock()
	if p.closedA.Load() {
		return 0, p.opErr("wait", -1, ErrClosed)
	}
	var end time.Time
	if timeout > 0 {
		end = time.Now().Add(timeout)
	}
	remaining := func() time.Duration {
		switch {
		case timeout < 0:
			return -1
		case timeout == 0:
			return 0
		}
		return max(time.Until(end), 0)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.closed {
			if p.blocked > 0 {
				p.kick() // the next blocked Wait leaves too
			}
			return 0, p.opErr("wait", -1, ErrClosed)
		}
		p.reap()
		if p.readyHead == len(p.ready) && !p.wakeSeen {
			if rem := remaining(); rem != 0 {
				if err := p.block(rem); err != nil {
					return 0, p.opErr("wait", -1, err)
				}
				continue
			}
		}
		if len(p.ready)-p.readyHead < len(events) && p.ring.Unsubmitted() > 0 {
			// Room is left: submit the queued polls (renewed level-
			// triggered ones, new registrations) and take what completes
			// at once, so that a full result rotates through every ready fd.
			p.submit()
			p.reap()
		}
		n := p.deliver(events)
		woke := p.wakeSeen
		if woke {
			p.wakeSeen = false
			p.woken.Store(0)
		}
		if n == 0 && !woke && remaining() != 0 {
			continue // only stale or filtered completions: wait on
		}
		if p.blocked > 0 {
			// Other Waits are blocked: renewed level-triggered polls go
			// to the kernel now (a still-ready fd wakes one of them), and
			// events left on the ready list wake the next one.
			if p.readyHead < len(p.ready) {
				p.sqe().PrepNop(uringKickTag)
			}
			p.submitIfBlocked()
		}
		return n, nil
	}
}

// block submits what is queued and waits in the kernel for a completion,
// at most rem (negative: no limit), with p.mu released meanwhile. Timeouts
// and signals return nil: the caller looks at the queue and its clock.
func (p *uringPoller) block(rem time.Duration) error {
	toSubmit := p.ring.Flush()
	var a *uring.WaitArg
	if n := len(p.args); n > 0 {
		a = p.args[n-1]
		p.args = p.args[:n-1]
	} else {
		a = uring.NewWaitArg()
	}
	p.blocked++
	p.mu.Unlock()
	_, err := p.ring.Enter(toSubmit, 1, rem, a)
	p.mu.Lock()
	p.blocked--
	p.args = append(p.args, a)
	switch {
	case err == nil, errors.Is(err, unix.ETIME), errors.Is(err, unix.EINTR):
		return nil
	case errors.Is(err, unix.EBUSY), errors.Is(err, unix.EAGAIN):
		// Completions the kernel could not post yet: reaping makes room.
		return nil
	}
	return err
}

// reap moves every completion into the ready list, flushing completions
// that overflowed into the kernel's list (p.mu held).
func (p *uringPoller) reap() {
	for {
		n := p.ring.Peek(p.cqes[:])
		for i := range n {
			p.complete(&p.cqes[i])
		}
		if n == len(p.cqes) {
			continue
		}
		if !p.ring.CQOverflowPending() {
			break
		}
		if _, err := p.ring.Submit(0, uring.EnterGetEvents); err != nil || p.ring.CQReady() == 0 {
			break
		}
	}
	// New polls for ended ones go out only now: submitted while the queue
	// overflows, a poll of a ready fd would overflow it again.
	for _, fd := range p.later {
		r := &p.regs[fd]
		how := r.renew
		r.renew = armNone
		if how == armNone || !r.live || r.arm != armNone || r.disabled || r.dead || r.queued {
			continue // gone, renewed, or renewed when delivered
		}
		if how == armParked {
			p.arm(int(fd), r, armParked)
		} else {
			p.armFor(int(fd), r)
		}
	}
	p.later = p.later[:0]
	for _, key := range p.removeLater {
		p.sqe().PrepPollRemove(key, uringTagBit|key)
	}
	p.removeLater = p.removeLater[:0]
}

// complete applies one completion to its registration (p.mu held).
func (p *uringPoller) complete(c *uring.CQE) {
	ud := c.UserData
	if ud&uringTagBit != 0 {
		switch {
		case ud == uringWakeTag:
			p.wakeSeen = true
		case ud>>32 != uint64(uringTagBit>>32) && c.Res == -int32(unix.EALREADY):
			// The poll was busy posting a completion: a multishot poll
			// would stay armed (and keep its file open). Remove it again.
			p.removeLater = append(p.removeLater, ud&^uringTagBit)
		}
		return
	}
	fd, serial := int(uint32(ud)), uint32(ud>>32)
	if fd >= len(p.regs) {
		return
	}
	r := &p.regs[fd]
	if !r.live || r.serial != serial || r.disabled || r.dead {
		return // stale: the registration changed since this poll was submitted
	}
	if !c.More() {
		r.arm = armNone
	}
	if c.Res < 0 {
		if c.Res == -int32(unix.ECANCELED) {
			// Cancelled by the kernel (the submitting thread exited):
			// submit it again.
			p.renewLater(fd, r, armSingle)
			return
		}
		// EBADF: the fd was closed while registered. Report it once.
		r.dead = true
		p.push(fd, r, Error)
		return
	}
	got := uringEvents(uint32(c.Res)) & r.want()
	if got == 0 {
		// Only conditions not asked for (RDHUP): wait for a wake-up that
		// brings one, with a poll that does not complete at once.
		p.renewLater(fd, r, armParked)
		return
	}
	// A multishot poll the kernel ended (the completion queue overflowed)
	// is renewed when its event is delivered.
	p.push(fd, r, got)
}

// renewLater notes that r needs a new poll request once the completion
// queue is reaped (p.mu held).
func (p *uringPoller) renewLater(fd int, r *uringReg, how uringArm) {
	if r.arm != armNone || r.renew != armNone {
		return
	}
	r.renew = how
	p.later = append(p.later, int32(fd))
}

// push puts fd on the ready list, merging with an event already there (p.mu held).
func (p *uringPoller) push(fd int, r *uringReg, ev Events) {
	r.pend |= ev
	if !r.queued {
		r.queued = true
		p.ready = append(p.ready, int32(fd))
	}
}

// deliver moves events from the ready list into out and renews the poll
// requests of delivered level-triggered registrations (p.mu held).
func (p *uringPoller) deliver(out []Event) int {
	n := 0
	for n < len(out) && p.readyHead < len(p.ready) {
		fd := int(p.ready[p.readyHead])
		p.readyHead++
		r := &p.regs[fd]
		if !r.live || !r.queued {
			continue // deleted, or modified, since it was queued
		}
		r.queued = false
		ev := r.pend
		r.pend = 0
		out[n] = Event{Events: ev, Data: r.data}
		n++
		switch {
		case r.dead:
			p.disarm(fd, r)
			*r = uringReg{}
		case r.ev&OneShot != 0:
			r.disabled = true
			p.disarm(fd, r)
		case r.ev&EdgeTriggered != 0:
			if r.arm == armNone {
				p.armFor(fd, r)
			}
		default:
			if r.arm == armParked {
				p.disarm(fd, r)
			}
			if r.arm == armNone {
				p.armFor(fd, r)
			}
		}
	}
	switch {
	case p.readyHead == len(p.ready):
		p.ready, p.readyHead = p.ready[:0], 0
	case p.readyHead > 1024 && p.readyHead > len(p.ready)/2:
		k := copy(p.ready, p.ready[p.readyHead:])
		p.ready, p.readyHead = p.ready[:k], 0
	}
	return n
}

func (p *uringPoller) Wake() error {
	if p.closedA.Load() {
		return p.opErr("wake", -1, ErrClosed)
	}
	if !p.woken.CompareAndSwap(0, 1) {
		return nil
	}
	p.life.RLock()
	defer p.life.RUnlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.opErr("wake", -1, ErrClosed)
	}
	if p.blocked == 0 {
		// No Wait is in the kernel: the next one sees the flag.
		p.wakeSeen = true
		return nil
	}
	p.sqe().PrepNop(uringWakeTag)
	if err := p.submit(); err != nil {
		return p.opErr("wake", -1, err)
	}
	return nil
}

func (p *uringPoller) Close() error {
	if !p.closedA.CompareAndSwap(false, true) {
		return p.opErr("close", -1, ErrClosed)
	}
	p.mu.Lock()
	p.closed = true
	if p.blocked > 0 {
		p.kick()
	}
	p.mu.Unlock()
	// Wait for every operation in progress to leave, then release the ring
	// (the kernel cancels the polls still armed).
	p.life.Lock()
	defer p.life.Unlock()
	return p.ring.Close()
}
