package loadgen

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/eventpoll/eventpoll"
)

// The "eventpoll" engine drives the connections from a few event loops
// (one per GOMAXPROCS by default), each on this project's Poller with
// edge-triggered non-blocking sockets: no goroutine per connection, and
// replies are verified in place against the expected bytes as they are
// read, without copying. It costs the client several times less CPU per
// message than the "net" engine.

// pconn is one connection of the eventpoll engine.
type pconn struct {
	id        int
	fd        int
	connected bool
	dead      bool
	quota     int64 // messages to send in all; -1: until stopped
	sendSeq   uint64
	recvSeq   uint64
	roff      int      // bytes of reply recvSeq matched so far
	pend      [][]byte // requests queued but not yet fully written
	poff      int      // bytes of pend[0] already written
	sentAt    []int64  // send time (ns since start) per in-flight slot
	hs        *httpStream
}

type ploop struct {
	r       *run
	k       eventpoll.Kernel
	p       eventpoll.Poller
	conns   []*pconn
	hist    *hdrhistogram.Histogram
	buf     []byte
	iov     [][]byte
	scratch []byte // http: bytes after a response head
	active  int    // connections not yet finished
	// sentAll counts connections that have sent their whole quota; when
	// all have, the drain clock starts as it does on stop.
	sentAll int
	// shortReadDrains: on epoll, data arriving after a short read raises a
	// new edge, so the read that would return EAGAIN can be skipped.
	shortReadDrains bool
}

func (r *run) runPoller(starting chan<- error, startCh <-chan struct{}, backend string) {
	workers := r.cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, r.cfg.Conns)
	loops := make([]*ploop, workers)
	var wg sync.WaitGroup
	ready := make(chan error, workers)
	for w := range loops {
		l := &ploop{r: r, k: eventpoll.Host(), buf: make([]byte, 64<<10),
			hist: hdrhistogram.New(1, int64(time.Minute), 3)}
		for i := w; i < r.cfg.Conns; i += workers {
			quota := int64(-1)
			if r.cfg.Requests > 0 {
				quota = r.cfg.Requests / int64(r.cfg.Conns)
				if int64(i) < r.cfg.Requests%int64(r.cfg.Conns) {
					quota++
				}
			}
			l.conns = append(l.conns, &pconn{id: i, fd: -1, quota: quota, sentAt: make([]int64, r.cfg.Depth)})
		}
		loops[w] = l
		wg.Go(func() {
			defer l.close()
			if err := l.connect(backend); err != nil {
				ready <- err
				return
			}
			ready <- nil
			<-startCh
			if r.start.IsZero() {
				return // aborted before the start
			}
			l.loop()
		})
	}
	var err error
	for range workers {
		if e := <-ready; e != nil && err == nil {
			err = e
		}
	}
	starting <- err
	wg.Wait()
	for _, l := range loops {
		r.shards[0].h.Merge(l.hist)
	}
}

func (l *ploop) close() {
	if l.p != nil {
		l.p.Close()
	}
	for _, c := range l.conns {
		if c.fd >= 0 {
			l.k.Close(c.fd)
			c.fd = -1
		}
	}
}

// connect opens the loop's connections, at most DialParallel at a time,
// and returns when all are established.
func (l *ploop) connect(backend string) error {
	p, err := eventpoll.New(backend)
	if err != nil {
		return err
	}
	l.p = p
	l.shortReadDrains = eventpoll.CapabilitiesOf(p).KernelEdge
	events := make([]eventpoll.Event, 256)
	next, inProgress, done := 0, 0, 0
	deadline := time.Now().Add(l.r.cfg.DialTimeout + time.Duration(len(l.conns)/1000)*time.Second)
	for done < len(l.conns) {
		for inProgress < l.r.cfg.DialParallel && next < len(l.conns) {
			c := l.conns[next]
			fd, err := l.k.Connect(l.r.cfg.Network, l.r.cfg.Addr)
			if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
				return fmt.Errorf("dial %s: %w", l.r.cfg.Addr, err)
			}
			c.fd = fd
			if err := p.Add(fd, eventpoll.Readable|eventpoll.Writable|eventpoll.EdgeTriggered, uint64(next)); err != nil {
				return err
			}
			next++
			inProgress++
		}
		n, err := p.Wait(events, 100*time.Millisecond)
		if err != nil {
			return err
		}
		for _, ev := range events[:n] {
			c := l.conns[ev.Data]
			if c.connected || ev.Events&(eventpoll.Writable|eventpoll.Error|eventpoll.Hangup) == 0 {
				continue
			}
			if err := l.k.SocketError(c.fd); err != nil {
				return fmt.Errorf("dial %s: %w", l.r.cfg.Addr, err)
			}
			if ev.Events&(eventpoll.Error|eventpoll.Hangup) != 0 {
				return fmt.Errorf("dial %s: connection failed (%v)", l.r.cfg.Addr, ev.Events)
			}
			if l.r.cfg.Network != "unix" {
				l.k.SetNoDelay(c.fd, true)
			}
			c.connected = true
			inProgress--
			done++
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dial %s: %d of %d connections not established in time", l.r.cfg.Addr, len(l.conns)-done, len(l.conns))
		}
	}
	return nil
}

func (l *ploop) loop() {
	r := l.r
	l.active = len(l.conns)
	now := time.Since(r.start).Nanoseconds()
	for _, c := range l.conns {
		l.send(c, now)
	}
	events := make([]eventpoll.Event, 256)
	var drainDeadline time.Time
	for l.active > 0 {
		if r.stop.Load() || (r.cfg.Requests > 0 && l.sentAll == len(l.conns)) {
			if drainDeadline.IsZero() {
				drainDeadline = time.Now().Add(r.cfg.Drain)
				for _, c := range l.conns {
					l.maybeFinish(c)
				}
				continue
			}
			if time.Now().After(drainDeadline) {
				for _, c := range l.conns {
					if !c.dead {
						l.fail(c, fmt.Errorf("conn %d: %d replies missing after the drain timeout", c.id, c.sendSeq-c.recvSeq))
					}
				}
				break
			}
		}
		n, err := l.p.Wait(events, 50*time.Millisecond)
		if err != nil {
			for _, c := range l.conns {
				if !c.dead {
					l.fail(c, fmt.Errorf("wait: %w", err))
				}
			}
			return
		}
		if n == 0 {
			continue
		}
		now := time.Since(r.start).Nanoseconds()
		for _, ev := range events[:n] {
			c := l.conns[ev.Data]
			if c.dead {
				continue
			}
			if ev.Events&(eventpoll.Readable|eventpoll.Hangup|eventpoll.Error|eventpoll.ReadHangup) != 0 {
				l.read(c, now)
			}
			if !c.dead && ev.Events&(eventpoll.Writable|eventpoll.Error) != 0 && len(c.pend) > 0 {
				l.flush(c)
			}
		}
	}
}

func (l *ploop) fail(c *pconn, err error) {
	l.r.fail(err)
	c.dead = true
	l.active--
	l.p.Delete(c.fd)
	l.k.Close(c.fd)
	c.fd = -1
}

// maybeFinish retires c once it will send nothing more and has every reply.
func (l *ploop) maybeFinish(c *pconn) {
	if c.dead {
		return
	}
	stopped := l.r.stop.Load() || (c.quota >= 0 && int64(c.sendSeq) >= c.quota)
	if stopped && c.recvSeq == c.sendSeq {
		c.dead = true
		l.active--
	}
}

// send queues requests up to the depth and writes them.
func (l *ploop) send(c *pconn, now int64) {
	r := l.r
	depth := uint64(r.cfg.Depth)
	if r.stop.Load() {
		l.maybeFinish(c)
		return
	}
	queued := false
	for c.sendSeq-c.recvSeq < depth && (c.quota < 0 || int64(c.sendSeq) < c.quota) {
		c.sentAt[c.sendSeq%depth] = now
		c.pend = append(c.pend, r.proto.request(c.sendSeq))
		c.sendSeq++
		queued = true
		if c.quota >= 0 && int64(c.sendSeq) == c.quota {
			l.sentAll++
		}
	}
	if queued {
		l.flush(c)
	} else {
		l.maybeFinish(c)
	}
}

// flush writes queued requests with one writev until done or EAGAIN.
func (l *ploop) flush(c *pconn) {
	for len(c.pend) > 0 {
		l.iov = append(l.iov[:0], c.pend[0][c.poff:])
		l.iov = append(l.iov, c.pend[1:]...)
		n, err := l.k.Writev(c.fd, l.iov)
		if err != nil {
			if errors.Is(err, syscall.EAGAIN) {
				return
			}
			l.fail(c, fmt.Errorf("conn %d: write: %w", c.id, err))
			return
		}
		for n > 0 && len(c.pend) > 0 {
			left := len(c.pend[0]) - c.poff
			if n < left {
				c.poff += n
				n = 0
				break
			}
			n -= left
			c.poff = 0
			c.pend[0] = nil
			c.pend = c.pend[1:]
		}
	}
	c.pend = c.pend[:0]
}

// read takes what c has until EAGAIN, matching it against the expected
// replies in place.
func (l *ploop) read(c *pconn, now int64) {
	r := l.r
	depth := uint64(r.cfg.Depth)
	for {
		n, err := l.k.Read(c.fd, l.buf)
		if err != nil {
			if errors.Is(err, syscall.EAGAIN) {
				break
			}
			l.fail(c, fmt.Errorf("conn %d: read: %w", c.id, err))
			return
		}
		if n == 0 {
			l.fail(c, fmt.Errorf("conn %d: read: server closed the connection with %d replies missing", c.id, c.sendSeq-c.recvSeq))
			return
		}
		got := l.buf[:n]
		var msgs, bytes int64
		if r.proto.http {
			if c.hs == nil {
				c.hs = &httpStream{}
			}
			var extra bool
			err := c.hs.feed(got, &l.scratch, func(size int) {
				if c.recvSeq >= c.sendSeq {
					extra = true
					return
				}
				_ = l.hist.RecordValue(max(now-c.sentAt[c.recvSeq%depth], 1))
				bytes += int64(size + len(r.proto.request(c.recvSeq)))
				msgs++
				c.recvSeq++
			})
			r.msgs.Add(msgs)
			r.bytes.Add(bytes)
			if extra {
				err = errors.New("a response nobody asked for")
			}
			if err != nil {
				l.fail(c, fmt.Errorf("conn %d: response %d: %w", c.id, c.recvSeq, err))
				return
			}
			msgs, bytes = 0, 0
			got = nil
		}
		for len(got) > 0 {
			if c.recvSeq >= c.sendSeq {
				r.msgs.Add(msgs)
				r.bytes.Add(bytes)
				l.fail(c, fmt.Errorf("conn %d: %d bytes nobody asked for", c.id, len(got)))
				return
			}
			want := r.proto.reply(c.recvSeq)[c.roff:]
			k := min(len(want), len(got))
			if string(want[:k]) != string(got[:k]) {
				r.msgs.Add(msgs)
				r.bytes.Add(bytes)
				l.fail(c, fmt.Errorf("conn %d: reply %d differs from the expected %d bytes", c.id, c.recvSeq, len(r.proto.reply(c.recvSeq))))
				return
			}
			got = got[k:]
			c.roff += k
			if c.roff == len(r.proto.reply(c.recvSeq)) {
				_ = l.hist.RecordValue(max(now-c.sentAt[c.recvSeq%depth], 1))
				bytes += int64(c.roff + len(r.proto.request(c.recvSeq)))
				msgs++
				c.roff = 0
				c.recvSeq++
			}
		}
		if msgs > 0 {
			r.msgs.Add(msgs)
			r.bytes.Add(bytes)
		}
		if n < len(l.buf) && l.shortReadDrains {
			break // a short read: the socket is drained (saves an EAGAIN read)
		}
	}
	l.send(c, now)
}
