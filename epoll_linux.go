package eventpoll

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() { Register("epoll", newEpoll) }

// epollBatch is the most events one Wait harvests; the kernel's round robin
// over its ready list keeps larger ready sets fair across Waits.
const epollBatch = 256

// epollPoller is the epoll backend: the interest list lives in the kernel
// (epoll_ctl), Wait drains the kernel's ready list (epoll_wait). An eventfd
// registered with ReservedData carries Wake.
type epollPoller struct {
	// mu is held for reading by every operation and for writing by Close,
	// so the epoll fd number is never used after it was closed and reused.
	mu     sync.RWMutex
	closed atomic.Bool
	epfd   int
	wakefd int
	// woken is 1 from the first Wake until a Wait consumes it, so that many
	// Wakes cost one eventfd write.
	woken atomic.Uint32
}

func newEpoll() (Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, NewOpError("epoll", "new", -1, err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, NewOpError("epoll", "new", -1, err)
	}
	p := &epollPoller{epfd: epfd, wakefd: wakefd}
	if err := p.ctl(unix.EPOLL_CTL_ADD, wakefd, Readable, ReservedData); err != nil {
		unix.Close(wakefd)
		unix.Close(epfd)
		return nil, NewOpError("epoll", "new", -1, err)
	}
	return p, nil
}

func (p *epollPoller) Backend() string { return "epoll" }

// Capabilities implements Capable: the kernel's own edge triggering.
func (p *epollPoller) Capabilities() Capabilities {
	return Capabilities{KernelEdge: true, KeyedByFile: true, Exclusive: true, ReadHangup: true}
}

func (p *epollPoller) ctl(op, fd int, events Events, data uint64) error {
	var ev unix.EpollEvent
	ev.Events = toEpoll(events)
	*(*uint64)(unsafe.Pointer(&ev.Fd)) = data
	return unix.EpollCtl(p.epfd, op, fd, &ev)
}

func (p *epollPoller) Add(fd int, events Events, data uint64) error {
	return p.control("add", unix.EPOLL_CTL_ADD, fd, events, data)
}

func (p *epollPoller) Modify(fd int, events Events, data uint64) error {
	return p.control("modify", unix.EPOLL_CTL_MOD, fd, events, data)
}

func (p *epollPoller) Delete(fd int) error {
	return p.control("delete", unix.EPOLL_CTL_DEL, fd, 0, 0)
}

func (p *epollPoller) control(name string, op, fd int, events Events, data uint64) error {
	if op != unix.EPOLL_CTL_DEL {
		if err := CheckEvents(events, data); err != nil {
			return NewOpError("epoll", name, fd, err)
		}
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed.Load() {
		return NewOpError("epoll", name, fd, ErrClosed)
	}
	if fd == p.wakefd || fd == p.epfd {
		// The poller's own descriptors are not the caller's to change.
		return NewOpError("epoll", name, fd, unix.EINVAL)
	}
	if err := p.ctl(op, fd, events, data); err != nil {
		return NewOpError("epoll", name, fd, err)
	}
	return nil
}

func (p *epollPoller) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, NewOpError("epoll", "wait", -1, unix.EINVAL)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed.Load() {
		return 0, NewOpError("epoll", "wait", -1, ErrClosed)
	}
	var raw [epollBatch]unix.EpollEvent
	max := min(len(events), epollBatch)
	// First a non-blocking harvest as a raw system call: on a busy loop it
	// usually finds events, and then the wait never goes through the Go
	// scheduler's hand-off for a call that may block. Only when nothing is
	// ready does Wait block, in an ordinary system call.
	n, err := epollWaitRaw(p.epfd, raw[:max])
	if n > 0 || timeout == 0 || (err != nil && err != unix.EINTR) {
		return p.harvest(events, raw[:max], n, err)
	}
	dl := newDeadline(timeout)
	for {
		n, err := unix.EpollWait(p.epfd, raw[:max], dl.ms())
		if err == unix.EINTR {
			if dl.timeout > 0 && dl.expired() {
				return 0, nil
			}
			continue
		}
		if err != nil || n > 0 || dl.expired() {
			return p.harvest(events, raw[:max], n, err)
		}
		// The system call returned before the timeout (clock rounding):
		// wait for the rest so that Wait(d) never returns before d.
	}
}

// harvest turns what epoll_wait returned into events, leaving out (and
// consuming) the wake-up eventfd; a Wait woken with nothing else returns 0.
func (p *epollPoller) harvest(events []Event, raw []unix.EpollEvent, n int, err error) (int, error) {
	if err == unix.EINTR {
		return 0, nil
	}
	if err != nil {
		return 0, NewOpError("epoll", "wait", -1, err)
	}
	if p.closed.Load() {
		return 0, NewOpError("epoll", "wait", -1, ErrClosed)
	}
	k := 0
	woke := false
	for i := 0; i < n; i++ {
		data := *(*uint64)(unsafe.Pointer(&raw[i].Fd))
		if data == ReservedData {
			woke = true
			continue
		}
		events[k] = Event{Events: fromEpoll(raw[i].Events), Data: data}
		k++
	}
	if woke {
		p.consumeWake()
	}
	return k, nil
}

// epollWaitRaw is epoll_wait with a zero timeout as a raw system call (it
// cannot block, so it skips the scheduler's hand-off). epoll_pwait with no
// signal mask is epoll_wait on every architecture.
func epollWaitRaw(epfd int, raw []unix.EpollEvent) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&raw[0])), uintptr(len(raw)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// consumeWake empties the eventfd, then clears the flag. In that order a
// Wake racing with it either finds the flag still set (and this Wait, which
// is returning, answers it) or finds it clear and signals the next Wait.
func (p *epollPoller) consumeWake() {
	var buf [8]byte
	unix.Read(p.wakefd, buf[:])
	p.woken.Store(0)
}

func (p *epollPoller) Wake() error {
	if p.closed.Load() {
		return NewOpError("epoll", "wake", -1, ErrClosed)
	}
	if !p.woken.CompareAndSwap(0, 1) {
		return nil
	}
	return p.signal()
}

func (p *epollPoller) signal() error {
	one := [8]byte{1}
	for {
		_, err := unix.Write(p.wakefd, one[:])
		switch err {
		case nil, unix.EAGAIN: // EAGAIN: the counter is full, so it is readable
			return nil
		case unix.EINTR:
			continue
		}
		return NewOpError("epoll", "wake", -1, err)
	}
}

func (p *epollPoller) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return NewOpError("epoll", "close", -1, ErrClosed)
	}
	// Wake every blocked Wait (the eventfd is level-triggered and stays
	// readable), then wait for them to leave before closing the fds.
	p.woken.Store(1)
	p.signal()
	p.mu.Lock()
	defer p.mu.Unlock()
	unix.Close(p.wakefd)
	return unix.Close(p.epfd)
}
