package reactor

import (
	"context"
	"runtime"
	"sync"
)

// DefaultWorkers is the size of the off-loop work pool when
// Server.Workers is 0: 256 goroutines per GOMAXPROCS.
const DefaultWorkers = 256

// Work is a blocking function run off the loop by Conn.Go. ctx is cancelled
// when the connection closes (or the server stops). The function it returns,
// if not nil, runs afterwards on the connection's loop, where it may use
// the Conn (Write, Close, ...); it is skipped when the connection closed
// meanwhile.
type Work func(ctx context.Context) (then func())

// connWork is a connection's off-loop work: a context cancelled at close
// and the jobs queued behind the one running. It exists only once Go was
// called, so a connection that never uses the pool holds nothing.
type connWork struct {
	ctx    context.Context
	cancel context.CancelFunc
	queue  []Work // waiting, in order; queue[0] is running while busy
	busy   bool
}

// Go runs w on the server's bounded work pool (Server.Workers goroutines),
// off the loop, so it may block (a database call, a slow service). A
// connection's works run one at a time in the order given, so their
// results (the functions they return, run on the loop) come back in order.
// While a connection has work queued or running its reading is paused:
// OnData is not called and bytes wait in the socket, so a peer cannot
// queue unbounded work; reading resumes (and OnData sees the bytes already
// buffered) when the last work's result has run. Call Go on the loop. It
// fails with ErrConnClosed on a closed or closing connection. Close does
// not wait for pending works: their results run, but cannot write; to
// answer and then close, call Close from the last result. Works that
// ignore their context may outlive Server.Close.
func (c *Conn) Go(w Work) error {
	if c.state >= stateClosing || c.fatal != nil || c.abort {
		return ErrConnClosed
	}
	wk := c.work
	if wk == nil {
		ctx, cancel := context.WithCancel(context.Background())
		wk = &connWork{ctx: ctx, cancel: cancel}
		c.work = wk
	}
	wk.queue = append(wk.queue, w)
	if !c.held {
		c.held = true
		if !c.paused {
			c.paused = true
			c.l.updateInterest(c)
		}
	}
	if !wk.busy {
		wk.busy = true
		c.l.cfg.pool.run(c, wk.ctx, w)
	}
	return nil
}

// WorkContext returns the context given to the connection's works: it is
// cancelled when the connection closes. It is context.Background() for a
// connection that never called Go and is still open.
func (c *Conn) WorkContext() context.Context {
	if c.work == nil {
		if c.state == stateClosed {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}
		return context.Background()
	}
	return c.work.ctx
}

// workDone runs on the loop when a work returned (then) or panicked (pe).
func (l *Loop) workDone(c *Conn, then func(), pe *PanicError) {
	wk := c.work
	if c.state == stateClosed || wk == nil {
		return
	}
	if pe != nil {
		l.connPanic(c, pe)
		l.settle(c)
		return
	}
	if then != nil {
		l.callWorkResult(c, then)
	}
	wk.queue[0] = nil
	wk.queue = wk.queue[1:]
	if c.state == stateClosed {
		return
	}
	if len(wk.queue) > 0 && c.state <= stateClosing && c.fatal == nil && !c.abort {
		l.cfg.pool.run(c, wk.ctx, wk.queue[0])
		return
	}
	wk.busy = false
	wk.queue = wk.queue[:0]
	c.held = false
	l.resumeRead(c)
	l.settle(c)
}

// callWorkResult runs a work's result on the loop under the panic guard.
func (l *Loop) callWorkResult(c *Conn, then func()) {
	defer l.guard(c)
	then()
}

// resumeRead reads a connection again after its work finished: the bytes
// it already holds go to OnData, and the socket is read (it may hold more
// than an edge reports).
func (l *Loop) resumeRead(c *Conn) {
	if !c.paused || c.out.n > l.cfg.high || c.state != stateOpen {
		return
	}
	c.paused = false
	l.updateInterest(c)
	if len(c.in) > 0 {
		l.callData(c)
		if !l.afterData(c) || c.held {
			return
		}
	}
	if l.edge {
		l.requeue(c)
	}
}

// endWork cancels a closing connection's work context; the works already
// running finish on their own and their results are dropped.
func (c *Conn) endWork() {
	if c.work != nil {
		c.work.cancel()
		c.work.queue = nil
	}
}

// workPool runs works on at most max goroutines, started on demand: a
// goroutine exits when it finds the queue empty, so an idle pool holds
// none. The queue holds at most one work per connection (a connection's
// next work is queued only when the previous one's result has run), so it
// is bounded by the number of connections.
type workPool struct {
	mu      sync.Mutex
	q       []workJob
	head    int
	running int
	max     int
}

type workJob struct {
	c   *Conn
	ctx context.Context
	w   Work
}

func newWorkPool(n int) *workPool {
	if n <= 0 {
		n = DefaultWorkers * runtime.GOMAXPROCS(0)
	}
	return &workPool{max: n}
}

// run queues w for c and starts a goroutine if the pool has room.
func (p *workPool) run(c *Conn, ctx context.Context, w Work) {
	p.mu.Lock()
	p.q = append(p.q, workJob{c, ctx, w})
	start := p.running < p.max
	if start {
		p.running++
	}
	p.mu.Unlock()
	if start {
		go p.worker()
	}
}

func (p *workPool) worker() {
	for {
		p.mu.Lock()
		if p.head == len(p.q) {
			p.q, p.head = p.q[:0], 0
			p.running--
			p.mu.Unlock()
			return
		}
		j := p.q[p.head]
		p.q[p.head] = workJob{}
		p.head++
		if p.head > 1024 && p.head*2 > len(p.q) {
			n := copy(p.q, p.q[p.head:])
			clear(p.q[n:])
			p.q, p.head = p.q[:n], 0
		}
		p.mu.Unlock()
		then, pe := runWork(j)
		c := j.c
		// A push fails only when the loop has exited; the connection is
		// closed then and the result has nowhere to go.
		c.l.push(task{kind: taskFunc, fn: func() { c.l.workDone(c, then, pe) }})
	}
}

// runWork runs one work, recovering a panic unless the server crashes on
// panics.
func runWork(j workJob) (then func(), pe *PanicError) {
	if !j.c.l.cfg.crash {
		defer func() {
			if v := recover(); v != nil {
				then, pe = nil, newPanicError(v)
			}
		}()
	}
	return j.w(j.ctx), nil
}
