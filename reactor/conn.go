package reactor

import (
	"net"
	"sync/atomic"
	"time"
)

type connState uint8

// Bits of Conn.uops: the completion engine's requests in flight for a
// connection (engine_uring_linux.go).
const (
	uringRecv       uint8 = 1 << iota // a multishot receive is armed
	uringRecvCancel                   // and its cancellation was submitted
	uringSending                      // a send is in flight (slot uslot)
	uringConnecting                   // a poll for the connect is armed
	uringEOF                          // end of file seen, due after the stashed bytes
	uringWatch                        // a poll for errors is armed while not receiving
)

const (
	stateConnecting connState = iota // Dial: waiting for the connect to end
	stateOpen                        // reading and writing
	stateClosing                     // Close called: sending queued output
	stateFinWait                     // FIN sent: discarding input until the peer's FIN
	stateClosed
)

// Conn is a stream connection owned by one loop. Its methods must be called
// on that loop's goroutine (from a handler callback, a timer, or a function
// given to Loop.Submit), except AsyncWrite, AsyncClose and Loop, which are
// safe from any goroutine.
//
// Inbound bytes are a zero-copy view: in OnData, Peek and Next return slices
// of the loop's read buffer (or of the connection's own buffer when earlier
// bytes were left unconsumed), valid until OnData returns. An idle
// connection holds no buffer at all.
type Conn struct {
	l       *Loop
	fd      int
	gen     uint32
	handler Handler
	state   connState
	stream  bool // a socket that supports shutdown(SHUT_WR)

	in    []byte  // unconsumed inbound bytes
	inBuf *[]byte // the connection's own buffer behind in, nil when in is in the loop buffer

	out outQueue

	eof            bool // the peer's FIN was read
	paused         bool // reading stopped by backpressure
	held           bool // reading stopped while off-loop work is pending (work.go)
	ownWrites      bool // output backpressure blocks the writer, not reading (netconn.go)
	drainWait      bool // OnWritable due when the output drains to the low-water mark
	wantWrite      bool // waiting for writable (output hit EAGAIN)
	dirty          bool // in the loop's dirty list
	again          bool // in the loop's again list
	abort          bool // Abort requested
	rdShut         bool // Shutdown ended the input: later bytes are discarded
	notifyWritable bool // OnWritable due
	registered     uint32
	// Completion engine (engine_uring_linux.go): requests in flight, bytes
	// in c.in not yet delivered, and the rest of its per-connection state.
	uops  uint8
	stash bool
	//lint:ignore U1000 empty, and so unused, where the engine does not exist
	ur    uringConn
	fatal error     // close with this error at the next settle
	tls   *tlsState // nil for a plain connection (tls.go)

	idle       int64 // idle timeout in ns, 0 none
	lastActive int64
	deadline   int64 // absolute, 0 none
	lingerAt   int64 // absolute, 0 none
	tm         timer

	ctx    any
	laddr  net.Addr
	raddr  net.Addr
	closed atomic.Bool
	dial   chan error // DialContext's result, nil otherwise
	work   *connWork  // off-loop work (Go), nil until used
}

func (l *Loop) newConn(fd int, h Handler, stream bool) *Conn {
	c := &Conn{l: l, fd: fd, handler: h, stream: stream, state: stateOpen}
	c.tm = timer{index: -1, c: c}
	c.idle = int64(l.cfg.idle)
	c.lastActive = l.now
	return c
}

// Loop returns the loop that owns the connection.
func (c *Conn) Loop() *Loop { return c.l }

// Fd returns the connection's file descriptor (for socket options; do not
// read, write or close it).
func (c *Conn) Fd() int { return c.fd }

// Context returns the value set with SetContext.
func (c *Conn) Context() any { return c.ctx }

// SetContext attaches a value to the connection, typically the handler's
// per-connection state.
func (c *Conn) SetContext(v any) { c.ctx = v }

// LocalAddr returns the local address, or nil if it cannot be had.
func (c *Conn) LocalAddr() net.Addr {
	if c.laddr == nil && c.state != stateClosed {
		c.laddr, _ = c.l.k.LocalAddr(c.fd)
	}
	return c.laddr
}

// RemoteAddr returns the peer's address, or nil if it cannot be had.
func (c *Conn) RemoteAddr() net.Addr {
	if c.raddr == nil && c.state != stateClosed {
		c.raddr, _ = c.l.k.RemoteAddr(c.fd)
	}
	return c.raddr
}

// Buffered returns the number of unconsumed inbound bytes.
func (c *Conn) Buffered() int { return len(c.in) }

// Peek returns the next n unconsumed inbound bytes without consuming them
// (all of them if n <= 0 or n > Buffered). The slice is valid until OnData
// returns.
func (c *Conn) Peek(n int) []byte {
	if n <= 0 || n > len(c.in) {
		n = len(c.in)
	}
	return c.in[:n:n]
}

// Next returns the next n inbound bytes (all of them if n <= 0 or n >
// Buffered) and consumes them. The slice is valid until OnData returns.
func (c *Conn) Next(n int) []byte {
	if n <= 0 || n > len(c.in) {
		n = len(c.in)
	}
	p := c.in[:n:n]
	c.in = c.in[n:]
	return p
}

// Discard consumes up to n inbound bytes and returns how many it did.
func (c *Conn) Discard(n int) int {
	if n < 0 {
		n = 0
	}
	n = min(n, len(c.in))
	c.in = c.in[n:]
	return n
}

// OutboundBuffered returns the number of queued, unsent output bytes.
func (c *Conn) OutboundBuffered() int { return c.out.n }

// directWriteMin is the shortest Write sent to the socket at once when
// nothing is queued: copying it would cost more than a system call of its
// own, while shorter writes are gathered into one writev.
const directWriteMin = 4 << 10

// Write sends p, or queues a copy of it. A Write of at least 4 KiB on a
// connection with nothing queued goes to the socket at once, and only what
// the socket does not take is copied; other output is queued and sent with
// one gather write (writev) when the current callback returns, or when the
// socket becomes writable again. Output is sent in the order written. Write
// fails with ErrConnClosed after Close, with ErrOutboundLimit (closing the
// connection) when the queue would exceed Server.MaxOutbound, and with the
// socket's error (closing the connection) when a direct write fails.
func (c *Conn) Write(p []byte) (int, error) {
	if c.state >= stateClosing || c.fatal != nil || c.abort {
		return 0, ErrConnClosed
	}
	if c.out.n+len(p) > c.l.cfg.maxOut {
		c.fail(ErrOutboundLimit)
		return 0, ErrOutboundLimit
	}
	if c.tls != nil {
		return c.tlsWrite(p)
	}
	if len(p) >= directWriteMin && c.out.n == 0 && c.state == stateOpen && !c.wantWrite && c.l.ur == nil {
		n, err := c.l.k.Write(c.fd, p)
		if n > 0 {
			c.lastActive = c.l.now
			p = p[n:]
		}
		if err != nil && !isAgain(err) {
			err = wrapOp("write", err)
			c.fail(err)
			return n, err
		}
		if len(p) == 0 {
			return n, nil
		}
		// The socket took part: queue the rest; the flush when the
		// callback returns waits for writable.
		c.out.append(p)
		c.markDirty()
		return n + len(p), nil
	}
	c.out.append(p)
	c.markDirty()
	return len(p), nil
}

// Flush sends queued output now, as far as the socket takes it without
// blocking. It returns the error that will close the connection, if any.
func (c *Conn) Flush() error {
	if c.state == stateClosed {
		return ErrConnClosed
	}
	if c.fatal != nil {
		return c.fatal
	}
	if c.state == stateConnecting || c.wantWrite || c.out.n == 0 {
		return nil
	}
	if err := c.l.flush(c); err != nil {
		c.fail(err)
		return err
	}
	return nil
}

// Close closes the connection gracefully: queued output is sent, then a FIN,
// then the descriptor is closed once the peer has closed its side (each step
// bounded by Server.LingerTimeout). Inbound bytes arriving meanwhile are
// discarded. OnClose follows with a nil error (or ErrLingerTimeout).
func (c *Conn) Close() error {
	switch c.state {
	case stateClosed, stateClosing, stateFinWait:
		return nil
	case stateConnecting:
		c.fail(ErrConnClosed)
		return nil
	}
	c.tlsCloseNotify()
	c.state = stateClosing
	c.lingerAt = c.l.now + int64(c.l.cfg.linger)
	c.l.schedule(c)
	c.markDirty()
	return nil
}

// Abort closes the connection at once with a reset (RST): queued output is
// dropped. OnClose follows with a nil error.
func (c *Conn) Abort() error {
	if c.state == stateClosed {
		return nil
	}
	c.abort = true
	c.markDirty()
	return nil
}

// SetIdleTimeout closes the connection with ErrIdleTimeout after d without a
// successful read or write; 0 turns the timeout off.
func (c *Conn) SetIdleTimeout(d time.Duration) {
	if c.state == stateClosed {
		return
	}
	c.idle = int64(max(d, 0))
	c.lastActive = c.l.now
	c.l.schedule(c)
}

// SetDeadline closes the connection with ErrDeadline if it is still open at
// t; the zero time removes the deadline.
func (c *Conn) SetDeadline(t time.Time) {
	if c.state == stateClosed {
		return
	}
	c.deadline = 0
	if !t.IsZero() {
		c.deadline = t.UnixNano()
	}
	c.l.schedule(c)
}

// AsyncWrite queues a copy of p from any goroutine; the loop sends it at its
// next iteration. Writes from one goroutine arrive in order. It fails with
// ErrConnClosed when the connection is known to be closed; one that closes
// before the loop runs the write drops it.
func (c *Conn) AsyncWrite(p []byte) error {
	if c.closed.Load() {
		return ErrConnClosed
	}
	b := getBuf(len(p))
	n := copy(*b, p)
	if err := c.l.push(task{kind: taskWrite, c: c, buf: b, n: n}); err != nil {
		putBuf(b)
		return err
	}
	return nil
}

// AsyncClose closes the connection gracefully (as Close) from any goroutine.
func (c *Conn) AsyncClose() error {
	if c.closed.Load() {
		return nil
	}
	return c.l.push(task{kind: taskClose, c: c})
}

// fail records an error that closes the connection at the next settle.
func (c *Conn) fail(err error) {
	if c.fatal == nil {
		c.fatal = err
	}
	c.markDirty()
}

func (c *Conn) markDirty() {
	if !c.dirty {
		c.dirty = true
		c.l.dirty = append(c.l.dirty, c)
	}
}
