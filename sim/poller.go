package sim

import (
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

const backend = "sim"

// Poller is the sim backend of eventpoll.Poller: an eventpoll in the fd
// table (FD returns its number, so it can be nested in another Poller) and
// an eventfd registered with eventpoll.ReservedData that carries Wake, as
// in the epoll backend.
type Poller struct {
	k      *Kernel
	ep     *eventpoll
	epfd   int
	wakefd int
	wakeEv *eventfd
	task   *task // Deterministic mode

	mu     sync.RWMutex
	closed atomic.Bool
	woken  atomic.Uint32
}

var _ ep.Poller = (*Poller)(nil)

func (k *Kernel) newPoller() (*Poller, error) {
	e := newEventpoll(k)
	epfd, f, err := k.installNew(e)
	if err != nil {
		return nil, ep.NewOpError(backend, "new", -1, err)
	}
	e.file = f
	ev := &eventfd{}
	wakefd, wf, err := k.installNew(ev)
	if err != nil {
		k.Close(epfd)
		return nil, ep.NewOpError(backend, "new", -1, err)
	}
	p := &Poller{k: k, ep: e, epfd: epfd, wakefd: wakefd, wakeEv: ev}
	if err := e.ctl(ctlAdd, wf, wakefd, ep.Readable, ep.ReservedData); err != nil {
		k.Close(wakefd)
		k.Close(epfd)
		return nil, ep.NewOpError(backend, "new", -1, err)
	}
	if k.sched != nil {
		p.task = k.sched.newTask()
	}
	if k.trace.on {
		k.tracef("poller = %d %d", epfd, wakefd)
	}
	return p, nil
}

// FD returns the descriptor of the poller's eventpoll, which another
// Poller can watch (nesting): it is readable while events are pending.
func (p *Poller) FD() int { return p.epfd }

// Backend returns "sim".
func (p *Poller) Backend() string { return backend }

// Capabilities implements eventpoll.Capable: a kernel eventpoll.
func (p *Poller) Capabilities() ep.Capabilities {
	return ep.Capabilities{KernelEdge: true, KeyedByFile: true, Exclusive: true, ReadHangup: true}
}

// Add registers fd (epoll_ctl ADD).
func (p *Poller) Add(fd int, events ep.Events, data uint64) error {
	return p.control("add", ctlAdd, fd, events, data)
}

// Modify changes fd's registration and re-polls it (epoll_ctl MOD).
func (p *Poller) Modify(fd int, events ep.Events, data uint64) error {
	return p.control("modify", ctlMod, fd, events, data)
}

// Delete removes fd's registration (epoll_ctl DEL).
func (p *Poller) Delete(fd int) error {
	return p.control("delete", ctlDel, fd, 0, 0)
}

func (p *Poller) control(name string, op, fd int, events ep.Events, data uint64) error {
	if op != ctlDel {
		if err := ep.CheckEvents(events, data); err != nil {
			return ep.NewOpError(backend, name, fd, err)
		}
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed.Load() {
		return ep.NewOpError(backend, name, fd, ep.ErrClosed)
	}
	if fd == p.wakefd && fd >= 0 {
		return ep.NewOpError(backend, name, fd, syscall.EINVAL)
	}
	if op == ctlAdd && p.k.fault(p.k.cfg.Faults.NoMem, fd) {
		p.k.tracefFault("ctl add", fd, "ENOMEM")
		return ep.NewOpError(backend, name, fd, syscall.ENOMEM)
	}
	tf, err := p.k.get(fd)
	if err != nil {
		if p.k.trace.on {
			p.k.tracef("ctl %s %d: %v", name, fd, errName(err))
		}
		return ep.NewOpError(backend, name, fd, err)
	}
	err = p.ep.ctl(op, tf, fd, events, data)
	p.k.put(tf)
	if p.k.trace.on {
		p.k.tracef("ctl %d %s %d %v %#x: %v", p.epfd, name, fd, events, data, errName(err))
	}
	if err != nil {
		return ep.NewOpError(backend, name, fd, err)
	}
	return nil
}

// Wait is epoll_wait: it transfers ready events to events, or sleeps on the
// eventpoll's wait queue until a callback, Wake, Close or the timeout. In
// Deterministic mode sleeping hands the CPU to the scheduler and the
// timeout runs on the virtual clock.
func (p *Poller) Wait(events []ep.Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, ep.NewOpError(backend, "wait", -1, syscall.EINVAL)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed.Load() {
		return 0, ep.NewOpError(backend, "wait", -1, ep.ErrClosed)
	}
	if timeout > 0 {
		// Rounded up to a millisecond, like epoll_wait's argument.
		timeout = (timeout + time.Millisecond - 1) / time.Millisecond * time.Millisecond
	}
	e := p.ep
	if p.task != nil {
		if p.task.waiters.Add(1) > 1 {
			panic("sim: two goroutines wait on one Poller in Deterministic mode (a Poller is one task)")
		}
		defer p.task.waiters.Add(-1)
		p.task.s.runDue()
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = p.k.Now().Add(timeout)
	}
	for {
		if p.k.cfg.Faults.Late > 0 && e.hasEvents() {
			p.lateWake()
		}
		n, woke := p.harvest(events)
		if p.closed.Load() {
			return 0, ep.NewOpError(backend, "wait", -1, ep.ErrClosed)
		}
		if n > 0 || woke {
			if p.k.trace.on {
				p.k.tracef("wait %d = %d%s", p.epfd, n, fmtEvents(events[:n]))
			}
			if p.task != nil {
				p.task.s.maybeYield(p.task)
			}
			return n, nil
		}
		if timeout == 0 {
			return 0, nil
		}
		if p.k.fault(p.k.cfg.Faults.Spurious, p.epfd) {
			p.k.tracefFault("wait", p.epfd, "spurious return")
			return 0, nil
		}
		var left time.Duration
		if timeout > 0 {
			left = deadline.Sub(p.k.Now())
			if left <= 0 {
				if p.k.trace.on {
					p.k.tracef("wait %d = 0 (timeout)", p.epfd)
				}
				return 0, nil
			}
		}
		w := &waiter{task: p.task}
		if p.task == nil {
			w.ch = make(chan struct{}, 1)
		}
		e.lock.Lock()
		if e.closed || p.closed.Load() {
			e.lock.Unlock()
			return 0, ep.NewOpError(backend, "wait", -1, ep.ErrClosed)
		}
		if e.eventsAvailableLocked() {
			e.lock.Unlock()
			continue
		}
		e.wq = append(e.wq, w)
		e.lock.Unlock()
		if p.task != nil {
			p.task.s.block(p.task, left, timeout > 0)
		} else if timeout < 0 {
			<-w.ch
		} else {
			t := time.NewTimer(left)
			select {
			case <-w.ch:
			case <-t.C:
			}
			t.Stop()
		}
		e.lock.Lock()
		for i, x := range e.wq {
			if x == w {
				e.wq = append(e.wq[:i], e.wq[i+1:]...)
				break
			}
		}
		e.lock.Unlock()
	}
}

// harvest transfers events and removes the internal wake-up from them.
func (p *Poller) harvest(events []ep.Event) (int, bool) {
	n := p.ep.sendEvents(events)
	k := 0
	woke := false
	for i := 0; i < n; i++ {
		if events[i].Data == ep.ReservedData {
			woke = true
			continue
		}
		events[k] = events[i]
		k++
	}
	if woke {
		var buf [8]byte
		p.wakeEv.read(buf[:])
		p.woken.Store(0)
	}
	return k, woke
}

// Wake makes one blocked or the next Wait return; many Wakes before that
// Wait cause one return.
func (p *Poller) Wake() error {
	if p.closed.Load() {
		return ep.NewOpError(backend, "wake", -1, ep.ErrClosed)
	}
	if !p.woken.CompareAndSwap(0, 1) {
		return nil
	}
	p.wakeEv.add(1)
	return nil
}

// Close closes the eventpoll and its eventfd; Waits in progress return
// ErrClosed.
func (p *Poller) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return ep.NewOpError(backend, "close", -1, ep.ErrClosed)
	}
	e := p.ep
	e.lock.Lock()
	for len(e.wq) > 0 {
		e.wakeOneLocked()
	}
	e.lock.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.k.Close(p.wakefd)
	p.k.Close(p.epfd)
	if p.k.trace.on {
		p.k.tracef("poller close %d", p.epfd)
	}
	if p.task != nil {
		// Last: from here on another task may run.
		p.task.s.exit(p.task)
	}
	return nil
}

// fmtEvents renders events for the trace.
func fmtEvents(evs []ep.Event) string {
	if len(evs) == 0 {
		return ""
	}
	b := make([]byte, 0, 16*len(evs))
	for _, e := range evs {
		b = append(b, ' ')
		b = append(b, e.Events.String()...)
		b = append(b, '/')
		b = strconv.AppendUint(b, e.Data, 10)
	}
	return string(b)
}
