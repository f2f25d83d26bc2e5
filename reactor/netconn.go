package reactor

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// netConnInMax is the most inbound bytes a NetConn holds for its reader
// before the loop stops reading the socket (it reads again once the reader
// has taken them).
const netConnInMax = 256 << 10

// writeChunk is the first buffer size a NetConn's writes borrow.
const writeChunk = 64 << 10

// NetConn is a net.Conn served by a loop: the loop reads the socket and
// hands the bytes to Read, which blocks the calling goroutine until there
// are some; Write hands bytes to the loop, which sends them as the socket
// takes them, and blocks while the connection's queued output is above
// Server.WriteHighWater. Deadlines fail Read and Write with an error that
// wraps os.ErrDeadlineExceeded. Close and CloseWrite behave as on a
// *net.TCPConn (Close sends what was written, then a FIN). All methods are
// safe for concurrent use.
//
// NetListener.Accept and Server.DialNet return NetConns, so code written
// for package net (net/http, crypto/tls, x/net/http2) runs on the loops.
type NetConn struct {
	c     *Conn // owned by the loop
	l     *Loop
	laddr net.Addr
	raddr net.Addr

	mu     sync.Mutex
	inp    *[]byte // pooled buffer of bytes for Read, nil when empty
	r, w   int     // the unread bytes are (*inp)[r:w]
	held   bool    // the loop stopped reading because in is full
	eof    bool    // the peer's FIN
	err    error   // the connection is gone (OnClose's error, or ErrConnClosed)
	closed bool    // Close was called
	shut   bool    // CloseWrite was called
	rdl    time.Time
	wdl    time.Time
	rwait  chan struct{} // closed to wake blocked readers
	wwait  chan struct{} // closed to wake blocked writers

	outp   *[]byte // pooled buffer of bytes written, not yet taken by the loop
	posted bool    // a flush task is queued
	full   bool    // the loop's queued output is above the high-water mark

	flushFn   func() // nc.flushOnLoop, allocated once
	releaseFn func()
}

// NetListener is a net.Listener whose connections are served by a Server's
// loops: it is the Server's Handler, and Accept returns each connection the
// server accepts as a *NetConn. Make one with Server.ListenNet.
type NetListener struct {
	s    *Server
	ln   *Listener
	addr net.Addr

	mu     sync.Mutex
	q      []*NetConn
	wait   chan struct{}
	closed bool
	done   chan struct{}
}

// ListenNet listens on the network address with s (see Listen), serves it
// and returns a net.Listener whose Accept hands out the connections as
// *NetConn values. s.Handler must be nil: the listener becomes it. Closing
// the listener stops accepting; accepted connections stay open until
// closed (Server.Close closes them all).
func (s *Server) ListenNet(network, address string) (*NetListener, error) {
	s.mu.Lock()
	if s.Handler != nil || s.started {
		s.mu.Unlock()
		return nil, errNetHandler
	}
	nl := &NetListener{s: s, wait: make(chan struct{}), done: make(chan struct{})}
	s.Handler = nl
	s.mu.Unlock()
	ln, err := s.Listen(network, address)
	if err != nil {
		return nil, err
	}
	nl.ln, nl.addr = ln, ln.Addr()
	go func() {
		s.ServeListener(context.Background(), ln)
		nl.Close()
	}()
	return nl, nil
}

var errNetHandler = &net.OpError{Op: "listen", Err: syscall.EINVAL}

// Accept waits for the next connection. After Close it fails with an error
// that wraps net.ErrClosed.
func (nl *NetListener) Accept() (net.Conn, error) {
	for {
		nl.mu.Lock()
		if len(nl.q) > 0 {
			nc := nl.q[0]
			nl.q[0] = nil
			nl.q = nl.q[1:]
			nl.mu.Unlock()
			return nc, nil
		}
		if nl.closed {
			nl.mu.Unlock()
			return nil, &net.OpError{Op: "accept", Net: nl.addr.Network(), Addr: nl.addr, Err: net.ErrClosed}
		}
		w := nl.wait
		nl.mu.Unlock()
		<-w
	}
}

// Close stops accepting. Connections already accepted stay open;
// connections accepted but not yet returned by Accept are closed.
func (nl *NetListener) Close() error {
	nl.mu.Lock()
	if nl.closed {
		nl.mu.Unlock()
		return nil
	}
	nl.closed = true
	q := nl.q
	nl.q = nil
	close(nl.wait)
	nl.mu.Unlock()
	for _, nc := range q {
		nc.Close()
	}
	if nl.ln != nil {
		nl.ln.Close()
	}
	return nil
}

// Addr returns the listener's address.
func (nl *NetListener) Addr() net.Addr { return nl.addr }

// OnOpen queues the new connection for Accept.
func (nl *NetListener) OnOpen(c *Conn) {
	nc := NewNetConn(c)
	nl.mu.Lock()
	if nl.closed {
		nl.mu.Unlock()
		c.Abort()
		return
	}
	nl.q = append(nl.q, nc)
	close(nl.wait)
	nl.wait = make(chan struct{})
	nl.mu.Unlock()
}

// OnData hands c's bytes to its NetConn's readers.
func (nl *NetListener) OnData(c *Conn) { netConnOf(c).OnData(c) }

// OnReadHangup records the peer's FIN for the readers.
func (nl *NetListener) OnReadHangup(c *Conn) { netConnOf(c).OnReadHangup(c) }

// OnWritable wakes writers blocked by backpressure.
func (nl *NetListener) OnWritable(c *Conn) { netConnOf(c).OnWritable(c) }

// OnClose ends the NetConn.
func (nl *NetListener) OnClose(c *Conn, err error) {
	if nc, ok := c.Context().(*NetConn); ok {
		nc.OnClose(c, err)
	}
}

func netConnOf(c *Conn) *NetConn { return c.Context().(*NetConn) }

// NetConnOf returns the NetConn made of c by NewNetConn, or nil.
func NetConnOf(c *Conn) *NetConn {
	nc, _ := c.Context().(*NetConn)
	return nc
}

// NewNetConn turns c into a NetConn, for a Handler that hands some of its
// connections to net.Conn code: call it in OnOpen, and pass OnData,
// OnReadHangup, OnWritable and OnClose on to the NetConn's methods of the
// same names (NetConnOf(c) finds it; it is kept in c.Context).
func NewNetConn(c *Conn) *NetConn {
	nc := &NetConn{c: c, l: c.l, laddr: c.LocalAddr(), raddr: c.RemoteAddr(),
		rwait: make(chan struct{}), wwait: make(chan struct{})}
	c.ownWrites = true
	nc.flushFn = nc.flushOnLoop
	nc.releaseFn = nc.releaseOnLoop
	c.SetContext(nc)
	return nc
}

// DialNet connects to address with a loop of s (see DialContext) and
// returns the connection as a net.Conn served by that loop.
func (s *Server) DialNet(ctx context.Context, network, address string) (*NetConn, error) {
	d := &netDialer{open: make(chan *NetConn, 1)}
	if _, err := s.DialContext(ctx, network, address, d); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	// DialContext returns as the connect completes; OnOpen follows on the
	// loop at once.
	return <-d.open, nil
}

// netDialer is the Handler of a dialed NetConn.
type netDialer struct {
	NetListener
	open chan *NetConn
}

func (d *netDialer) OnOpen(c *Conn) { d.open <- NewNetConn(c) }

// The loop side.

// OnData copies c's bytes for the readers; past netConnInMax the loop
// stops reading until they have been read.
func (nc *NetConn) OnData(c *Conn) {
	nc.mu.Lock()
	nc.appendIn(c.Next(-1))
	if nc.w-nc.r >= netConnInMax && !nc.held {
		nc.held = true
		c.pauseReading()
	}
	nc.wakeReaders()
	nc.mu.Unlock()
}

// appendIn adds p to the unread bytes; mu is held.
func (nc *NetConn) appendIn(p []byte) {
	if nc.inp == nil {
		nc.inp = getBuf(len(p))
		nc.r, nc.w = 0, 0
	}
	buf := *nc.inp
	if nc.w+len(p) > cap(buf) {
		n := nc.w - nc.r
		if n+len(p) <= cap(buf) {
			copy(buf, buf[nc.r:nc.w])
		} else {
			nb := getBuf(n + len(p))
			copy(*nb, buf[nc.r:nc.w])
			putBuf(nc.inp)
			nc.inp = nb
			buf = *nb
		}
		nc.r, nc.w = 0, n
	}
	nc.w += copy(buf[nc.w:cap(buf)], p)
}

// OnReadHangup records the peer's FIN; the connection stays open for
// writing until Close.
func (nc *NetConn) OnReadHangup(c *Conn) {
	nc.mu.Lock()
	nc.eof = true
	nc.wakeReaders()
	shut := nc.shut && nc.outp == nil && !nc.posted
	nc.mu.Unlock()
	if shut && c.OutboundBuffered() == 0 {
		c.Close() // both directions are done
	}
}

// OnWritable wakes writers blocked by backpressure.
func (nc *NetConn) OnWritable(c *Conn) {
	nc.mu.Lock()
	nc.full = false
	nc.wakeWriters()
	nc.mu.Unlock()
}

// OnClose records why the connection ended and wakes every waiter.
func (nc *NetConn) OnClose(c *Conn, err error) {
	nc.mu.Lock()
	orderly := err == nil && !nc.closed
	if err == nil {
		err = ErrConnClosed
		if !nc.closed {
			nc.eof = true
		}
	}
	nc.err = err
	// Give the pooled buffers back: unsent output has nowhere to go, and
	// unread input is kept only for a reader after an orderly close.
	nc.dropOut()
	if !orderly {
		nc.dropIn()
	}
	nc.wakeReaders()
	nc.wakeWriters()
	nc.mu.Unlock()
}

// flushOnLoop moves written bytes to the connection's output queue.
func (nc *NetConn) flushOnLoop() {
	nc.mu.Lock()
	nc.posted = false
	bp := nc.outp
	nc.outp = nil
	// A writer that filled the staging buffer to the high-water mark waits
	// for this task to empty it: wake it below, unless the output queue is
	// full (then the drain wakes it).
	staged := bp != nil && len(*bp) >= nc.l.cfg.high
	shut, closed := nc.shut, nc.closed
	nc.mu.Unlock()
	c := nc.c
	if bp != nil {
		if c.state == stateOpen {
			c.Write(*bp)
		}
		putBuf(bp)
	}
	full := c.out.n > nc.l.cfg.high
	if full {
		if c.Flush() == nil {
			full = c.out.n > nc.l.cfg.high
		}
		if full {
			// flush calls OnWritable once the output drains to the
			// low-water mark. Reading goes on: the writer is what waits.
			c.drainWait = true
		}
	}
	nc.mu.Lock()
	if full {
		nc.full = true
	} else if nc.full || staged {
		nc.full = false
		nc.wakeWriters()
	}
	nc.mu.Unlock()
	switch {
	case closed:
		c.Close()
	case shut:
		nc.shutdownWrite()
	}
}

// shutdownWrite sends a FIN once the queued output is out (retried from a
// timer while it is not).
func (nc *NetConn) shutdownWrite() {
	c := nc.c
	if c.state != stateOpen {
		return
	}
	if c.out.n > 0 {
		nc.l.AfterFunc(time.Millisecond, nc.shutdownWrite)
		return
	}
	if c.eof {
		c.Close()
		return
	}
	if err := nc.l.k.Shutdown(c.fd, syscall.SHUT_WR); err != nil {
		c.fail(wrapOp("shutdown", err))
	}
}

// releaseOnLoop reads the socket again once the reader took the bytes.
func (nc *NetConn) releaseOnLoop() {
	nc.mu.Lock()
	release := nc.held && nc.w-nc.r < netConnInMax/2
	if release {
		nc.held = false
	}
	nc.mu.Unlock()
	c := nc.c
	if release && c.paused && c.state == stateOpen {
		// Output backpressure never pauses a NetConn's reading (its writer
		// waits instead), so only this hold is lifted here.
		c.paused = false
		nc.l.updateInterest(c)
		if nc.l.edge || c.tls != nil {
			nc.l.requeue(c)
		}
	}
}

// dropIn and dropOut give a buffer back to the pool; mu is held.
func (nc *NetConn) dropIn() {
	if nc.inp != nil {
		putBuf(nc.inp)
		nc.inp, nc.r, nc.w = nil, 0, 0
	}
}

func (nc *NetConn) dropOut() {
	if nc.outp != nil && !nc.posted {
		putBuf(nc.outp)
		nc.outp = nil
	}
}

func (nc *NetConn) wakeReaders() {
	close(nc.rwait)
	nc.rwait = make(chan struct{})
}

func (nc *NetConn) wakeWriters() {
	close(nc.wwait)
	nc.wwait = make(chan struct{})
}

// The goroutine side.

func (nc *NetConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: nc.laddr.Network(), Source: nc.laddr, Addr: nc.raddr, Err: err}
}

// wait blocks until ch is closed or the deadline passes; mu is held on
// entry and on return. It reports false when the deadline passed.
func (nc *NetConn) wait(ch chan struct{}, dl time.Time) bool {
	if dl.IsZero() {
		nc.mu.Unlock()
		<-ch
		nc.mu.Lock()
		return true
	}
	d := time.Until(dl)
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	nc.mu.Unlock()
	select {
	case <-ch:
	case <-t.C:
	}
	t.Stop()
	nc.mu.Lock()
	return true
}

func expired(dl time.Time) bool { return !dl.IsZero() && !time.Now().Before(dl) }

// Read reads what the loop received, blocking until there is something,
// the peer's FIN (io.EOF), an error, Close, or the read deadline.
func (nc *NetConn) Read(b []byte) (int, error) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	for {
		switch {
		case nc.closed:
			return 0, nc.opError("read", net.ErrClosed)
		case expired(nc.rdl):
			return 0, nc.opError("read", os.ErrDeadlineExceeded)
		case nc.w > nc.r:
			if len(b) == 0 {
				return 0, nil
			}
			n := copy(b, (*nc.inp)[nc.r:nc.w])
			nc.r += n
			if nc.r == nc.w {
				putBuf(nc.inp)
				nc.inp, nc.r, nc.w = nil, 0, 0
			}
			if nc.held && nc.w-nc.r < netConnInMax/2 && nc.err == nil {
				nc.l.push(task{kind: taskFunc, fn: nc.releaseFn})
			}
			return n, nil
		case nc.eof:
			return 0, io.EOF
		case nc.err != nil:
			return 0, nc.opError("read", nc.err)
		}
		if len(b) == 0 {
			return 0, nil
		}
		nc.wait(nc.rwait, nc.rdl)
	}
}

// Write hands b to the loop. It blocks while the connection's queued
// output is above Server.WriteHighWater (until it drains to WriteLowWater,
// the write deadline, Close or an error).
func (nc *NetConn) Write(b []byte) (int, error) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	high := nc.l.cfg.high
	n := 0
	for {
		switch {
		case nc.closed:
			return n, nc.opError("write", net.ErrClosed)
		case nc.shut:
			return n, nc.opError("write", syscall.EPIPE)
		case nc.err != nil:
			return n, nc.opError("write", nc.err)
		case expired(nc.wdl):
			return n, nc.opError("write", os.ErrDeadlineExceeded)
		}
		if len(b) == 0 {
			return n, nil
		}
		queued := 0
		if nc.outp != nil {
			queued = len(*nc.outp)
		}
		if nc.full || queued >= high {
			nc.wait(nc.wwait, nc.wdl)
			continue
		}
		k := min(len(b), high-queued)
		if nc.outp == nil {
			nc.outp = getBuf(min(k, writeChunk))
			*nc.outp = (*nc.outp)[:0]
		}
		if queued+k > cap(*nc.outp) {
			nb := getBuf(queued + k)
			*nb = append((*nb)[:0], *nc.outp...)
			putBuf(nc.outp)
			nc.outp = nb
		}
		*nc.outp = append(*nc.outp, b[:k]...)
		b = b[k:]
		n += k
		nc.post()
	}
}

// post queues the flush task once; mu is held.
func (nc *NetConn) post() {
	if !nc.posted {
		nc.posted = true
		if nc.l.push(task{kind: taskFunc, fn: nc.flushFn}) != nil {
			nc.err = ErrServerClosed
		}
	}
}

// Close sends what was written, then a FIN, and closes the connection
// (see Conn.Close). Blocked Read and Write calls return net.ErrClosed.
func (nc *NetConn) Close() error {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	if nc.closed {
		return nc.opError("close", net.ErrClosed)
	}
	nc.closed = true
	nc.dropIn()
	nc.wakeReaders()
	nc.wakeWriters()
	if nc.err == nil {
		nc.posted = false // the loop may hold a stale flag: post again
		nc.post()
	}
	return nil
}

// CloseWrite sends a FIN once what was written is sent; reading goes on.
func (nc *NetConn) CloseWrite() error {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	if nc.closed {
		return nc.opError("close", net.ErrClosed)
	}
	if nc.shut || nc.err != nil {
		return nil
	}
	nc.shut = true
	nc.posted = false
	nc.post()
	return nil
}

// LocalAddr returns the local address.
func (nc *NetConn) LocalAddr() net.Addr { return nc.laddr }

// RemoteAddr returns the peer's address.
func (nc *NetConn) RemoteAddr() net.Addr { return nc.raddr }

// SetDeadline sets the read and write deadlines.
func (nc *NetConn) SetDeadline(t time.Time) error {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	nc.rdl, nc.wdl = t, t
	nc.wakeReaders()
	nc.wakeWriters()
	return nil
}

// SetReadDeadline sets the deadline for Read calls, pending ones included.
func (nc *NetConn) SetReadDeadline(t time.Time) error {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	nc.rdl = t
	nc.wakeReaders()
	return nil
}

// SetWriteDeadline sets the deadline for Write calls, pending ones
// included.
func (nc *NetConn) SetWriteDeadline(t time.Time) error {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	nc.wdl = t
	nc.wakeWriters()
	return nil
}

// Conn returns the reactor connection under nc (use it on its loop only).
func (nc *NetConn) Conn() *Conn { return nc.c }
