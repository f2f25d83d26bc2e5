package reactor

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventpoll/eventpoll"
)

// Loop is one event loop: a goroutine that owns a Poller, the connections
// registered in it, a shared read buffer, a timer heap and a task queue.
// Everything a loop owns is touched only on its goroutine; other goroutines
// reach it through Submit, Conn.AsyncWrite and Conn.AsyncClose, which wake it
// through the poller's merged Wake.
type Loop struct {
	s     *Server
	cfg   *config
	id    int
	k     eventpoll.Kernel
	p     eventpoll.Poller // nil under the completion engine
	ur    *uringLoop       // the completion engine's state, nil otherwise
	edge  bool
	drain bool // read until EAGAIN: the backend emulates edge triggering
	// rearmOnAgain: Modify after EAGAIN, for an emulated edge (poll,
	// select) whose Kernel does not report EAGAIN to it (Host and
	// PortableHost do).
	rearmOnAgain bool

	events   []eventpoll.Event
	buf      []byte    // shared read buffer
	tlsPlain []byte    // shared plaintext buffer for TLS records (tls.go)
	tlsReady bool      // a handshake goroutine was started or fed (tls.go)
	fds      []fdEntry // indexed by fd
	gen      uint32
	nconns   atomic.Int32 // connections owned or being handed to this loop
	reserve  int          // placeholder fd for the EMFILE trick, -1 if none
	now      int64        // Kernel.Now at the start of the iteration
	timers   timerHeap
	dirty    []*Conn // connections with output or a close to settle
	again    []*Conn // edge-triggered connections to read without an event
	again2   []*Conn
	lns      []*listenFD
	stale    atomic.Int64 // events dropped because their generation was old

	draining bool // Shutdown: close gracefully, exit when empty
	stopping bool // Close: exit now

	mu     sync.Mutex
	tasks  []task
	spare  []task
	closed bool // no more tasks accepted
}

// fdEntry maps an fd number to what is registered under it; gen must equal
// the generation carried in the event data.
type fdEntry struct {
	gen uint32
	c   *Conn
	ln  *listenFD
}

// eventData packs an fd and its registration's generation into the 64 bits
// of user data the poller returns, so that an event harvested for a closed
// fd never reaches whatever reuses its number.
func eventData(fd int, gen uint32) uint64 { return uint64(uint32(fd)) | uint64(gen)<<32 }

func newLoop(s *Server, id int) (*Loop, error) {
	cfg := &s.cfg
	if cfg.completion {
		return newCompletionLoop(s, id)
	}
	p, err := cfg.k.NewPoller(cfg.backend)
	if err != nil {
		return nil, err
	}
	caps := eventpoll.CapabilitiesOf(p)
	l := &Loop{
		s:            s,
		cfg:          cfg,
		id:           id,
		k:            cfg.k,
		p:            p,
		edge:         cfg.edge,
		drain:        cfg.edge && (cfg.untilEAGAIN || !caps.KernelEdge),
		rearmOnAgain: cfg.edge && caps.EmulatedEdge && !reportsEAGAIN(cfg.k),
		events:       make([]eventpoll.Event, 256),
		buf:          make([]byte, cfg.readBuf),
		reserve:      -1,
	}
	if fd, err := cfg.k.ReserveFD(); err == nil {
		l.reserve = fd
	}
	return l, nil
}

// release frees what newLoop allocated, for a loop that never ran.
func (l *Loop) release() {
	if l.reserve >= 0 {
		l.k.Close(l.reserve)
	}
	l.closeEngine()
}

// closeEngine closes the poller, or the completion engine's ring.
func (l *Loop) closeEngine() {
	if l.ur != nil {
		l.uringClose()
		return
	}
	l.p.Close()
}

// wake interrupts the loop's wait from any goroutine.
func (l *Loop) wake() {
	if l.ur != nil {
		l.uringWake()
		return
	}
	l.p.Wake()
}

// Server returns the server the loop belongs to.
func (l *Loop) Server() *Server { return l.s }

// Backend names the loop's poller backend, or "io_uring" for a loop of
// the completion engine.
func (l *Loop) Backend() string {
	if l.ur != nil {
		return "io_uring"
	}
	return l.p.Backend()
}

// Engine tells which engine drives the loop.
func (l *Loop) Engine() Engine {
	if l.ur != nil {
		return EngineCompletion
	}
	return EngineReadiness
}

// clock returns the Kernel's clock in Unix nanoseconds.
func (l *Loop) clock() int64 { return l.k.Now().UnixNano() }

func (l *Loop) run() {
	if l.ur != nil {
		l.runCompletion() // engine_uring_linux.go
		return
	}
	defer l.exit()
	l.now = l.clock()
	for {
		timeout := time.Duration(-1)
		if len(l.again) > 0 {
			timeout = 0
		} else if len(l.timers) > 0 {
			timeout = max(time.Duration(l.timers[0].when-l.clock()), 0)
		}
		l.tlsYield() // tls.go
		n, err := l.p.Wait(l.events, timeout)
		if err != nil {
			l.cfg.log.Error("reactor: wait failed; closing the loop", "loop", l.id, "err", err)
			l.closeAll(err)
			return
		}
		l.now = l.clock()
		for i := 0; i < n; i++ {
			ev := l.events[i]
			fd := int(uint32(ev.Data))
			if fd >= len(l.fds) || l.fds[fd].gen != uint32(ev.Data>>32) {
				l.stale.Add(1)
				continue
			}
			e := &l.fds[fd]
			switch {
			case e.c != nil:
				l.connEvent(e.c, ev.Events)
			case e.ln != nil:
				l.listenEvent(e.ln)
			default:
				l.stale.Add(1)
			}
		}
		if l.endIteration() {
			return
		}
	}
}

// endIteration runs what follows the events of one loop iteration, on
// either engine: submitted tasks, connections with input left over from
// the read budget, due timers and pending flushes. It reports whether the
// loop is done: stopped (its connections closed) or drained.
func (l *Loop) endIteration() bool {
	l.runTasks()
	if len(l.again) > 0 {
		l.runAgain()
	}
	if len(l.timers) > 0 {
		l.runTimers()
	}
	l.settleDirty()
	if l.stopping {
		l.closeAll(ErrServerClosed)
		return true
	}
	return l.draining && l.nconns.Load() == 0 && len(l.lns) == 0
}

// register adds fd to the poller under a new generation.
func (l *Loop) register(fd int, ev eventpoll.Events, e fdEntry) (uint32, error) {
	gen := l.nextGen(fd)
	if err := l.p.Add(fd, ev, eventData(fd, gen)); err != nil {
		return 0, err
	}
	e.gen = gen
	l.fds[fd] = e
	return gen, nil
}

// nextGen returns a new generation number for fd and makes room for fd in
// the table.
func (l *Loop) nextGen(fd int) uint32 {
	l.gen++
	if l.gen == 0 {
		l.gen = 1
	}
	for fd >= len(l.fds) {
		l.fds = append(l.fds, make([]fdEntry, max(64, len(l.fds)))...)
	}
	return l.gen
}

// unregister removes fd from the poller and the table (before it is
// closed); under the completion engine it cancels fd's requests.
func (l *Loop) unregister(fd int) {
	if l.ur != nil {
		l.uringCancel(fd)
	} else {
		l.p.Delete(fd)
	}
	if fd < len(l.fds) {
		l.fds[fd] = fdEntry{}
	}
}

func (l *Loop) runTimers() {
	for len(l.timers) > 0 && l.timers[0].when <= l.now {
		t := l.timers[0]
		l.timers.remove(t)
		if t.c != nil {
			l.connTimer(t.c)
		} else {
			l.callFunc(t.f)
		}
	}
}

// settleDirty flushes output and completes closes requested during the
// iteration. Settling may mark more connections dirty; they are handled too.
func (l *Loop) settleDirty() {
	for i := 0; i < len(l.dirty); i++ {
		c := l.dirty[i]
		l.dirty[i] = nil
		if c.dirty {
			l.settle(c)
		}
	}
	l.dirty = l.dirty[:0]
}

// runAgain reads edge-triggered connections that stopped at the read budget
// or were resumed after backpressure.
func (l *Loop) runAgain() {
	list := l.again
	l.again = l.again2[:0]
	for i, c := range list {
		list[i] = nil
		c.again = false
		if c.state == stateClosed {
			continue
		}
		if l.ur != nil {
			l.uringAgain(c)
		} else {
			l.readConn(c, true)
		}
	}
	l.again2 = list[:0]
}

func (l *Loop) requeue(c *Conn) {
	if !c.again {
		c.again = true
		l.again = append(l.again, c)
	}
}

// closeAll closes every connection and listener of the loop at once.
func (l *Loop) closeAll(err error) {
	for fd := range l.fds {
		if c := l.fds[fd].c; c != nil {
			l.closeConn(c, err, false)
		}
	}
	for len(l.lns) > 0 {
		l.closeListener(l.lns[0])
	}
}

// exit refuses further tasks, settles the ones queued, and releases the
// poller.
func (l *Loop) exit() {
	l.stopping = true
	l.closeAll(ErrServerClosed)
	l.mu.Lock()
	l.closed = true
	tasks := l.tasks
	l.tasks = nil
	l.mu.Unlock()
	for i := range tasks {
		l.runTask(&tasks[i])
	}
	l.closeAll(ErrServerClosed)
	if l.reserve >= 0 {
		l.k.Close(l.reserve)
		l.reserve = -1
	}
	l.closeEngine()
	l.s.loopExited()
}
