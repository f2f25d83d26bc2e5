package eventpoll

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/eventpoll/eventpoll/kevent"
)

// This file is the kqueue backend, all of it but the system call: it talks
// to a kevent.System, which is the real kqueue(2) on macOS and the BSDs
// (kqueue_bsd.go) and package sim's user-space kqueue everywhere.
//
// The meaning is the one of every backend (Poller, doc.go):
//
//   - An fd's registration is up to two knotes, EVFILT_READ for Readable and
//     ReadHangup, EVFILT_WRITE for Writable. The caller's data and
//     conditions live in user space (regs), keyed by fd; Wait merges the
//     knotes of one fd returned by one kevent call into one Event.
//   - LT is a plain knote; EdgeTriggered is EV_CLEAR; OneShot is
//     EV_DISPATCH (the knote stays, disabled, and Modify re-enables it with
//     EV_ADD|EV_ENABLE, which re-checks readiness). The first report of a
//     OneShot registration disables it in user space too, so the other
//     filter of the fd reports nothing until Modify.
//   - Error and Hangup are always reported: a registration that asks for
//     neither Readable nor Writable watches both filters edge-triggered and
//     reports only their EV_EOF. A read filter without Readable (ReadHangup
//     alone) is edge-triggered too, so pending data does not wake every Wait.
//   - EV_EOF on the read filter of a socket is the peer's FIN: ReadHangup
//     (and Readable, since a read returns 0); on a pipe it is the writer
//     gone: Hangup. EV_EOF on the write filter of a pipe is the reader gone:
//     Error. A socket error in fflags is Error and Hangup. A socket hung up
//     in both directions (kevent.System.HungUp) is Hangup, as on epoll.
//   - Changes are applied at once with EV_RECEIPT, so Add, Modify and Delete
//     fail with the errno of the change they made (EBADF, EPERM for a regular
//     file, EEXIST, ENOENT) and never leave a half-made registration. Where
//     the system lacks EV_RECEIPT (kevent.LackReceipt), each change is a call
//     of its own with an empty event list, which fails with its errno.
//   - kqueue drops an fd's knotes when the fd is closed, whatever other
//     descriptors of the file remain (unlike epoll): a registration whose fd
//     was closed is forgotten when the number is next used (the open file's
//     identity differs) or when Delete finds the fd closed (EBADF).
//   - Wake triggers an EVFILT_USER knote with EV_CLEAR (one return for many
//     Wakes); Close triggers a second one without EV_CLEAR, which stays
//     active and so ends every Wait. Where the system lacks EVFILT_USER
//     (kevent.LackUser), Wake writes one byte to a pipe whose read end is an
//     EV_CLEAR read knote, and the Wait that reports it reads the byte back;
//     Close adds a level-triggered write knote on the pipe's write end, which
//     is always writable and so ends every Wait.
//   - Where the system lacks EV_DISPATCH (kevent.LackDispatch), OneShot is
//     EV_ONESHOT: the kernel deletes the knote after its report, and Modify
//     adds it again from the interest kept in user space.
//   - Rotation is kqueue's own: a level-triggered knote goes back to the tail
//     of the queue after it is returned. Wait asks for at most len(events)
//     knotes, so nothing it harvests is left over.

// kqueueBatch is the most knotes one Wait harvests.
const kqueueBatch = 256

// User knote identifiers (EVFILT_USER has its own ident space).
const (
	kqWakeIdent  = 0 // EV_CLEAR: Wake
	kqCloseIdent = 1 // level: Close ends every Wait
)

// errKqueueOwnFD is what Add of the backend's own wake pipe returns.
var errKqueueOwnFD = fmt.Errorf("eventpoll: the fd is the kqueue backend's own wake pipe: %w", syscall.EINVAL)

// errKqueueExclusive is what Add with Exclusive returns.
var errKqueueExclusive = fmt.Errorf("eventpoll: kqueue has no exclusive wake-up (Exclusive is epoll's EPOLLEXCLUSIVE): %w", ErrUnsupported)

// kqFilter is one knote of a registration as it is in the kqueue.
type kqFilter struct {
	on    bool
	flags uint16 // kevent.Clear, kevent.Dispatch
}

// kqReg is one registration.
type kqReg struct {
	events     Events
	data       uint64
	fd         kevent.FD
	read       kqFilter
	write      kqFilter
	disabled   bool   // OneShot: reported, waiting for Modify
	disabledAt uint64 // the harvest that disabled it (its other knote may still merge)
}

// kqBuf is the private state of one Wait.
type kqBuf struct {
	raw [kqueueBatch]kevent.Event
	fds [kqueueBatch]int
}

// kqueuePoller is the kqueue backend.
type kqueuePoller struct {
	sys kevent.System
	q   kevent.Queue

	lacks   kevent.Lack
	oneShot uint16       // the flag that makes OneShot: kevent.Dispatch or kevent.OneShot
	pipes   kevent.Pipes // kevent.LackUser: the system of the wake pipe
	wakeR   int          // kevent.LackUser: the wake pipe's read end (-1 otherwise)
	wakeW   int          // kevent.LackUser: the wake pipe's write end (-1 otherwise)

	// rw is held for reading by every operation and for writing by Close,
	// so the queue is never used after it was closed.
	rw     sync.RWMutex
	closed atomic.Bool
	// woken is 1 from the first Wake until a Wait consumes it.
	woken atomic.Uint32

	// mu guards regs, serial and the change buffers.
	mu     sync.Mutex
	regs   map[int]*kqReg
	serial uint64
	chg    [4]kevent.Event
	rcpt   [4]kevent.Event
	fix    []kevent.Event

	bufs sync.Pool
}

var _ Capable = (*kqueuePoller)(nil)

// NewKqueue creates a kqueue Poller over sys: the real kqueue(2) where
// New("kqueue") exists, or a simulated one (package sim). Its Backend is
// "kqueue".
func NewKqueue(sys kevent.System) (Poller, error) {
	q, err := sys.Kqueue()
	if err != nil {
		return nil, NewOpError("kqueue", "new", -1, err)
	}
	p := &kqueuePoller{sys: sys, q: q, regs: make(map[int]*kqReg), oneShot: kevent.Dispatch, wakeR: -1, wakeW: -1}
	if l, ok := sys.(kevent.Limited); ok {
		p.lacks = l.Lacks()
	}
	if p.lacks&kevent.LackDispatch != 0 {
		p.oneShot = kevent.OneShot
	}
	p.bufs.New = func() any { return new(kqBuf) }
	if err := p.openWake(); err != nil {
		q.Close()
		return nil, NewOpError("kqueue", "new", -1, err)
	}
	return p, nil
}

// openWake adds the knote that Wake activates: an EVFILT_USER knote, or
// the read end of a new wake pipe where the system lacks EVFILT_USER.
func (p *kqueuePoller) openWake() error {
	if p.lacks&kevent.LackUser == 0 {
		return p.changeOne(kevent.Event{Ident: kqWakeIdent, Filter: kevent.FilterUser, Flags: kevent.Add | kevent.Clear})
	}
	pipes, ok := p.sys.(kevent.Pipes)
	if !ok {
		return fmt.Errorf("eventpoll: the kqueue system lacks EVFILT_USER and has no pipes for Wake: %w", ErrUnsupported)
	}
	r, w, err := pipes.Pipe()
	if err != nil {
		return err
	}
	if err := p.changeOne(kevent.Event{Ident: uint64(r), Filter: kevent.FilterRead, Flags: kevent.Add | kevent.Clear}); err != nil {
		pipes.Close(r)
		pipes.Close(w)
		return err
	}
	p.pipes, p.wakeR, p.wakeW = pipes, r, w
	return nil
}

// changeOne makes one change and returns its error.
func (p *kqueuePoller) changeOne(ch kevent.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.chg[0] = ch
	if err := p.applyLocked(1); err != nil {
		return err
	}
	if errno := syscall.Errno(p.rcpt[0].Data); errno != 0 {
		return errno
	}
	return nil
}

func (p *kqueuePoller) Backend() string { return "kqueue" }

// Capabilities implements Capable: edge triggering is the kernel's
// (EV_CLEAR, EV_DISPATCH); knotes belong to the fd number, not the open file;
// ReadHangup is EV_EOF on a socket's read filter, which the peer's FIN sets
// (conditions).
func (p *kqueuePoller) Capabilities() Capabilities {
	return Capabilities{KernelEdge: true, ReadHangup: true}
}

// kqPlan returns the knotes a registration with events needs; oneShot is
// the flag that makes a OneShot knote (kevent.Dispatch or kevent.OneShot).
func kqPlan(events Events, oneShot uint16) (r, w kqFilter) {
	var mode uint16
	switch {
	case events&OneShot != 0:
		mode = oneShot
	case events&EdgeTriggered != 0:
		mode = kevent.Clear
	}
	wantR := events&(Readable|ReadHangup|Priority) != 0
	wantW := events&Writable != 0
	if !wantR && !wantW {
		// Error and Hangup only: both filters, their EV_EOF only.
		return kqFilter{true, mode | kevent.Clear}, kqFilter{true, mode | kevent.Clear}
	}
	if wantR {
		r = kqFilter{true, mode}
		if events&Readable == 0 {
			r.flags |= kevent.Clear
		}
	}
	if wantW {
		w = kqFilter{true, mode}
	}
	return r, w
}

// check validates events for Add and Modify.
func (p *kqueuePoller) check(op string, fd int, events Events, data uint64) error {
	if err := CheckEvents(events, data); err != nil {
		return NewOpError("kqueue", op, fd, err)
	}
	if events&Exclusive != 0 {
		return NewOpError("kqueue", op, fd, errKqueueExclusive)
	}
	return nil
}

// describe is the fd check every operation starts with: EBADF for a closed
// fd, EPERM for a regular file (as epoll, poll and select here).
func (p *kqueuePoller) describe(fd int) (kevent.FD, error) {
	if fd < 0 {
		return kevent.FD{}, syscall.EBADF
	}
	d, err := p.sys.Describe(fd)
	if err != nil {
		return d, err
	}
	if d.Kind == kevent.Regular {
		return d, syscall.EPERM
	}
	return d, nil
}

func (p *kqueuePoller) Add(fd int, events Events, data uint64) error {
	if err := p.check("add", fd, events, data); err != nil {
		return err
	}
	p.rw.RLock()
	defer p.rw.RUnlock()
	if p.closed.Load() {
		return NewOpError("kqueue", "add", fd, ErrClosed)
	}
	if p.wakeR >= 0 && (fd == p.wakeR || fd == p.wakeW) {
		return NewOpError("kqueue", "add", fd, errKqueueOwnFD)
	}
	d, err := p.describe(fd)
	if err != nil {
		return NewOpError("kqueue", "add", fd, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.regs[fd]; old != nil {
		if old.fd.ID == d.ID && p.aliveLocked(fd, old) {
			return NewOpError("kqueue", "add", fd, syscall.EEXIST)
		}
		// The fd was closed (which dropped its knotes) and its number reused.
		delete(p.regs, fd)
	}
	reg := &kqReg{events: events, data: data, fd: d}
	r, w := kqPlan(events, p.oneShot)
	if err := p.changeLocked(fd, reg, r, w); err != nil {
		p.changeLocked(fd, reg, kqFilter{}, kqFilter{})
		return NewOpError("kqueue", "add", fd, err)
	}
	p.regs[fd] = reg
	return nil
}

func (p *kqueuePoller) Modify(fd int, events Events, data uint64) error {
	if err := p.check("modify", fd, events, data); err != nil {
		return err
	}
	p.rw.RLock()
	defer p.rw.RUnlock()
	if p.closed.Load() {
		return NewOpError("kqueue", "modify", fd, ErrClosed)
	}
	d, err := p.describe(fd)
	p.mu.Lock()
	defer p.mu.Unlock()
	reg := p.lookupLocked(fd, d, err)
	if err != nil {
		return NewOpError("kqueue", "modify", fd, err)
	}
	if reg == nil {
		return NewOpError("kqueue", "modify", fd, syscall.ENOENT)
	}
	reg.events, reg.data, reg.disabled = events, data, false
	r, w := kqPlan(events, p.oneShot)
	if err := p.changeLocked(fd, reg, r, w); err != nil {
		return NewOpError("kqueue", "modify", fd, err)
	}
	return nil
}

func (p *kqueuePoller) Delete(fd int) error {
	p.rw.RLock()
	defer p.rw.RUnlock()
	if p.closed.Load() {
		return NewOpError("kqueue", "delete", fd, ErrClosed)
	}
	d, err := p.describe(fd)
	p.mu.Lock()
	defer p.mu.Unlock()
	reg := p.lookupLocked(fd, d, err)
	if err != nil {
		return NewOpError("kqueue", "delete", fd, err)
	}
	if reg == nil {
		return NewOpError("kqueue", "delete", fd, syscall.ENOENT)
	}
	err = p.changeLocked(fd, reg, kqFilter{}, kqFilter{})
	delete(p.regs, fd)
	if err != nil {
		return NewOpError("kqueue", "delete", fd, err)
	}
	return nil
}

// aliveLocked reports whether reg's knotes still exist: a change with no
// action on one of them fails with ENOENT once closing the fd dropped them.
// (The open file's identity alone may not tell: a system may give every
// socket the same inode.) A OneShot registration on a system without
// EV_DISPATCH is taken as alive: its knotes go when they report, so only the
// identity, already compared, can tell.
func (p *kqueuePoller) aliveLocked(fd int, reg *kqReg) bool {
	if reg.events&OneShot != 0 && p.lacks&kevent.LackDispatch != 0 {
		return true
	}
	filter := kevent.FilterRead
	if !reg.read.on {
		if !reg.write.on {
			return false
		}
		filter = kevent.FilterWrite
	}
	p.chg[0] = kevent.Event{Ident: uint64(fd), Filter: filter}
	if err := p.applyLocked(1); err != nil {
		return true
	}
	return syscall.Errno(p.rcpt[0].Data) != syscall.ENOENT
}

// lookupLocked returns fd's live registration, forgetting one that the
// kqueue has dropped: the fd is closed (derr EBADF) or now names another
// open file.
func (p *kqueuePoller) lookupLocked(fd int, d kevent.FD, derr error) *kqReg {
	reg := p.regs[fd]
	if reg == nil {
		return nil
	}
	if derr == syscall.EBADF || (derr == nil && reg.fd.ID != d.ID) {
		delete(p.regs, fd)
		return nil
	}
	return reg
}

// changeLocked moves fd's knotes from what reg has to r and w, in one
// kevent call, and records in reg what was done. A knote whose mode
// changes is deleted and added again (an EV_ADD on an existing knote does
// not change EV_CLEAR or EV_DISPATCH); one that stays is given EV_ADD|
// EV_ENABLE, which re-enables a dispatched knote and re-checks readiness.
// It returns the first error, ignoring ENOENT from deletes (the kqueue
// drops knotes by itself when an fd is closed).
func (p *kqueuePoller) changeLocked(fd int, reg *kqReg, r, w kqFilter) error {
	n := 0
	n = p.planFilter(n, fd, kevent.FilterRead, reg.read, r)
	n = p.planFilter(n, fd, kevent.FilterWrite, reg.write, w)
	if n == 0 {
		return nil
	}
	if err := p.applyLocked(n); err != nil {
		return err
	}
	var first error
	for i := range n {
		c, res := &p.chg[i], p.rcpt[i]
		f := &reg.read
		if c.Filter == kevent.FilterWrite {
			f = &reg.write
		}
		errno := syscall.Errno(res.Data)
		switch {
		case c.Flags&kevent.Delete != 0:
			*f = kqFilter{}
			if errno != 0 && errno != syscall.ENOENT && first == nil {
				first = errno
			}
		case errno == 0:
			*f = kqFilter{on: true, flags: c.Flags & (kevent.Clear | kevent.Dispatch | kevent.OneShot)}
		case first == nil:
			first = errno
		}
	}
	return first
}

// planFilter appends to p.chg the changes that take one knote from old to
// want and returns the new count.
func (p *kqueuePoller) planFilter(n, fd int, filter int16, old, want kqFilter) int {
	ident := uint64(fd)
	switch {
	case old.on && (!want.on || old.flags != want.flags):
		p.chg[n] = kevent.Event{Ident: ident, Filter: filter, Flags: kevent.Delete}
		n++
		if want.on {
			p.chg[n] = kevent.Event{Ident: ident, Filter: filter, Flags: kevent.Add | want.flags}
			n++
		}
	case want.on:
		p.chg[n] = kevent.Event{Ident: ident, Filter: filter, Flags: kevent.Add | kevent.Enable | want.flags}
		n++
	}
	return n
}

// applyLocked makes the first n changes of p.chg with EV_RECEIPT and puts
// one receipt per change, in order, into p.rcpt (Data: the errno, 0 on
// success). The event list has exactly room for the receipts, so the call
// neither blocks nor takes pending events. Without EV_RECEIPT each change is
// a call with an empty event list, which returns at once and fails with the
// change's errno.
func (p *kqueuePoller) applyLocked(n int) error {
	if p.lacks&kevent.LackReceipt != 0 {
		for i := range n {
			err := p.keventOne(p.chg[i : i+1])
			errno, ok := err.(syscall.Errno)
			if err != nil && !ok {
				return err
			}
			p.rcpt[i] = kevent.Event{Ident: p.chg[i].Ident, Filter: p.chg[i].Filter, Flags: kevent.Error, Data: int64(errno)}
		}
		return nil
	}
	for i := range n {
		p.chg[i].Flags |= kevent.Receipt
	}
	for {
		got, err := p.q.Kevent(p.chg[:n], p.rcpt[:n], 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("eventpoll: kevent returned %d receipts for %d changes: %w", got, n, syscall.EIO)
		}
		for i := range n {
			if p.rcpt[i].Flags&kevent.Error == 0 {
				return fmt.Errorf("eventpoll: kevent returned an event instead of a receipt: %w", syscall.EIO)
			}
		}
		return nil
	}
}

// keventOne makes the one change in ch without EV_RECEIPT and with no
// event list, so the call returns at once; a change that fails returns its
// errno.
func (p *kqueuePoller) keventOne(ch []kevent.Event) error {
	for {
		_, err := p.q.Kevent(ch, nil, 0)
		if err != syscall.EINTR {
			return err
		}
	}
}

func (p *kqueuePoller) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, NewOpError("kqueue", "wait", -1, syscall.EINVAL)
	}
	p.rw.RLock()
	defer p.rw.RUnlock()
	if p.closed.Load() {
		return 0, NewOpError("kqueue", "wait", -1, ErrClosed)
	}
	b := p.bufs.Get().(*kqBuf)
	defer p.bufs.Put(b)
	max := min(len(events), kqueueBatch)
	dl := newDeadline(timeout)
	for {
		left := timeout
		if timeout > 0 {
			left = time.Until(dl.end)
			if left < 0 {
				left = 0
			}
		}
		n, err := p.q.Kevent(nil, b.raw[:max], left)
		if err != nil && err != syscall.EINTR {
			return 0, NewOpError("kqueue", "wait", -1, err)
		}
		if p.closed.Load() {
			return 0, NewOpError("kqueue", "wait", -1, ErrClosed)
		}
		if n > 0 {
			if k, woke := p.harvest(events, b, n); k > 0 || woke {
				return k, nil
			}
		}
		// Nothing to report (a timeout, an interrupt, or knotes that
		// reported nothing the caller asked for): wait for the rest.
		if timeout == 0 || (timeout > 0 && !time.Now().Before(dl.end)) {
			return 0, nil
		}
	}
}

// harvest turns n knotes into events, merging the two knotes of one fd,
// and consumes a Wake.
func (p *kqueuePoller) harvest(events []Event, b *kqBuf, n int) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serial++
	p.fix = p.fix[:0]
	k, woke := 0, false
	for i := range n {
		kev := &b.raw[i]
		if kev.Filter == kevent.FilterUser || (p.wakeR >= 0 && kev.Filter == kevent.FilterRead && int(kev.Ident) == p.wakeR) {
			woke = true
			continue
		}
		fd := int(kev.Ident)
		reg := p.regs[fd]
		if reg == nil || (reg.disabled && reg.disabledAt != p.serial) {
			continue // deleted, or a disabled OneShot
		}
		c := p.conditions(fd, reg, kev)
		oneShot := reg.events&OneShot != 0
		if c == 0 {
			if oneShot && !reg.disabled {
				// EV_DISPATCH disabled (EV_ONESHOT deleted) a knote that
				// reported nothing the caller asked for: enable (add) it
				// again.
				p.fix = append(p.fix, p.rearm(reg, kev))
			}
			continue
		}
		if oneShot && !reg.disabled {
			reg.disabled, reg.disabledAt = true, p.serial
		}
		j := k
		if reg.read.on && reg.write.on {
			for x := range k {
				if b.fds[x] == fd {
					j = x
					break
				}
			}
		}
		if j < k {
			events[j].Events |= c
			continue
		}
		events[k] = Event{Events: c, Data: reg.data}
		b.fds[k] = fd
		k++
	}
	if woke {
		if p.wakeR >= 0 && p.woken.Load() == 1 {
			p.readWake()
		}
		p.woken.Store(0)
	}
	for len(p.fix) > 0 {
		m := copy(p.chg[:], p.fix)
		p.fix = p.fix[m:]
		p.applyLocked(m) // best effort: a failure means the fd is gone
	}
	return k, woke
}

// rearm returns the change that makes a OneShot knote that reported
// nothing watch again.
func (p *kqueuePoller) rearm(reg *kqReg, kev *kevent.Event) kevent.Event {
	if p.oneShot == kevent.Dispatch {
		return kevent.Event{Ident: kev.Ident, Filter: kev.Filter, Flags: kevent.Enable}
	}
	f := reg.read
	if kev.Filter == kevent.FilterWrite {
		f = reg.write
	}
	return kevent.Event{Ident: kev.Ident, Filter: kev.Filter, Flags: kevent.Add | f.flags}
}

// readWake reads back the one byte of a Wake from the wake pipe (p.mu
// held). Wake writes a byte only when woken goes from 0 to 1, and it is read
// only while woken is 1, so the pipe holds at most one byte.
func (p *kqueuePoller) readWake() {
	var b [8]byte
	for {
		if _, err := p.pipes.Read(p.wakeR, b[:]); err != syscall.EINTR {
			return
		}
	}
}

// conditions translates one knote into the conditions it reports for reg.
func (p *kqueuePoller) conditions(fd int, reg *kqReg, kev *kevent.Event) Events {
	asked := reg.events
	if kev.Flags&kevent.EOF == 0 {
		switch kev.Filter {
		case kevent.FilterRead:
			return asked & Readable
		case kevent.FilterWrite:
			return asked & Writable
		}
		return 0
	}
	var c Events
	socket := reg.fd.Kind == kevent.Socket
	switch kev.Filter {
	case kevent.FilterRead:
		switch {
		case socket:
			// The peer's FIN (or a local SHUT_RD): a read returns 0.
			c = asked & (Readable | ReadHangup)
		case kev.Data > 0:
			c = asked&Readable | Hangup
		default:
			c = Hangup // the writer is gone
		}
	case kevent.FilterWrite:
		c = asked & Writable
		if !socket {
			c |= Error // the reader is gone: a write fails with EPIPE
		}
	}
	if socket {
		if kev.Fflags != 0 {
			c |= Error | Hangup // reset, refused: both directions are gone
		} else if hung, err := p.sys.HungUp(fd); err == nil && hung {
			c |= Hangup
		}
	}
	return c
}

func (p *kqueuePoller) Wake() error {
	p.rw.RLock()
	defer p.rw.RUnlock()
	if p.closed.Load() {
		return NewOpError("kqueue", "wake", -1, ErrClosed)
	}
	if !p.woken.CompareAndSwap(0, 1) {
		return nil
	}
	var err error
	if p.wakeW >= 0 {
		err = p.writeWake()
	} else {
		err = p.trigger(kqWakeIdent, 0)
	}
	if err != nil {
		p.woken.Store(0)
		return NewOpError("kqueue", "wake", -1, err)
	}
	return nil
}

// writeWake writes one byte to the wake pipe.
func (p *kqueuePoller) writeWake() error {
	one := [1]byte{1}
	for {
		_, err := p.pipes.Write(p.wakeW, one[:])
		if err != syscall.EINTR {
			return err
		}
	}
}

// trigger activates a user knote (adding it first with flags Add).
func (p *kqueuePoller) trigger(ident uint64, flags uint16) error {
	ch := [1]kevent.Event{{Ident: ident, Filter: kevent.FilterUser, Flags: flags, Fflags: kevent.NoteTrigger}}
	return p.keventOne(ch[:])
}

func (p *kqueuePoller) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return NewOpError("kqueue", "close", -1, ErrClosed)
	}
	// A level-triggered knote, active from now on: every Wait blocked in
	// kevent returns; then wait for them to leave. Without EVFILT_USER it
	// is a write knote on the wake pipe's write end, which is writable.
	if p.wakeW >= 0 {
		ch := [1]kevent.Event{{Ident: uint64(p.wakeW), Filter: kevent.FilterWrite, Flags: kevent.Add}}
		p.keventOne(ch[:])
	} else {
		p.trigger(kqCloseIdent, kevent.Add)
	}
	p.rw.Lock()
	defer p.rw.Unlock()
	err := p.q.Close()
	if p.wakeR >= 0 {
		p.pipes.Close(p.wakeR)
		p.pipes.Close(p.wakeW)
	}
	return err
}
