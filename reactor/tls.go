package reactor

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// TLS on the loops
//
// A TLS connection is an ordinary Conn with a tlsState between its socket
// and its buffers; crypto/tls (not a fork) does every cryptographic step,
// driven through tlsTransport, an in-memory net.Conn:
//
//   - Handshake: the loop appends the ciphertext it reads to the transport
//     and wakes the handshake goroutine, which runs tls.Conn.Handshake. Its
//     reads block on the transport (never on the loop), and its writes are
//     copied to the loop (Loop.Submit) and queued on the Conn like any
//     output. A server starts the goroutine only when the first bytes
//     arrive, so a peer that connects and sends nothing costs no goroutine,
//     only its Conn and a timer. The CPU-bound part is bounded: a goroutine
//     holds one of Server.TLSHandshakeConcurrency slots while it computes
//     and gives it back while it waits for the peer, so stalled peers cannot
//     starve the others. Server.TLSHandshakeTimeout (default 10 s) closes
//     a connection whose handshake has not finished, with
//     ErrTLSHandshakeTimeout. OnOpen is called, on the loop, when the
//     handshake has finished.
//   - Records: after the handshake everything runs on the loop. Ciphertext
//     read from the socket is parsed record by record (the 5-byte header
//     gives the length); tls.Conn.Read is called only when a complete record
//     is buffered, and the transport hands crypto/tls exactly that record,
//     so a read never blocks and never leaves a partial record inside
//     crypto/tls. Plaintext is decrypted into the loop's plaintext buffer
//     and delivered to OnData through the same Peek/Next/Discard view as a
//     plain connection; Conn.Write encrypts through tls.Conn.Write, whose
//     record writes land in the Conn's output queue. A partial record waits
//     in a pooled buffer that is given back once the record is complete.
//   - Closing: Conn.Close sends close_notify before the FIN; the peer's
//     close_notify is handled as its FIN. A bad record or an alert closes
//     that connection only (the alert crypto/tls sends is flushed first) and
//     OnClose gets the error; a FIN inside a record or during the handshake
//     is io.ErrUnexpectedEOF.
//
// This is the transport between the socket and the Conn's buffers that
// DESIGN.md asks for, in its smallest form: a nil-able Conn.tls and hooks
// where the engine reads (readConn), meets EOF (readEOF), writes
// (Conn.Write, AsyncWrite), closes (Conn.Close, closeConn) and times out
// (connTimer). An interface waits for the second transport (a completion
// ring), which will show what it must hold.
//
// crypto/tls records a read error for ever unless it is a net.Error whose
// Temporary method reports true (conn.go, readRecordOrCCS): the transport's
// "no complete record" answer is such an error, so the tls.Conn stays usable.

// ErrTLSHandshakeTimeout is passed to OnClose for a TLS connection whose
// handshake did not finish within Server.TLSHandshakeTimeout.
var ErrTLSHandshakeTimeout = fmt.Errorf("reactor: tls handshake timeout: %w", syscall.ETIMEDOUT)

// DefaultTLSHandshakeTimeout is the handshake timeout a zero
// Server.TLSHandshakeTimeout means.
const DefaultTLSHandshakeTimeout = 10 * time.Second

const (
	tlsRecordHeaderLen = 5
	tlsMaxPlaintext    = 16 << 10
	// tlsMaxRecord is the longest record crypto/tls accepts (TLS 1.2 with
	// compression/expansion allowance); a header announcing more is handed
	// over at once so that crypto/tls rejects it.
	tlsMaxRecord = tlsRecordHeaderLen + tlsMaxPlaintext + 2048
	// tlsMaxHandshakeInput bounds the ciphertext buffered while a handshake
	// is running: beyond it the loop stops reading the connection until the
	// handshake goroutine has taken half of it, or has finished (a TLS 1.3
	// client sends application data right after its Finished).
	tlsMaxHandshakeInput = 64 << 10
	// tlsBatch is the most plaintext decrypted before OnData is called.
	tlsBatch = 64 << 10
)

// errTLSWouldBlock is the transport's answer when no complete record is
// buffered; Temporary keeps crypto/tls from recording it as fatal.
type tlsWouldBlock struct{}

func (tlsWouldBlock) Error() string   { return "reactor: tls: no complete record buffered" }
func (tlsWouldBlock) Timeout() bool   { return false }
func (tlsWouldBlock) Temporary() bool { return true }

var errTLSWouldBlock net.Error = tlsWouldBlock{}

// tlsState is a TLS connection's state; it exists from accept (or dial) on.
type tlsState struct {
	tc       *tls.Conn
	tr       *tlsTransport
	client   bool
	started  bool  // handshake goroutine started
	deadline int64 // the handshake deadline set on the Conn, 0 none
	early    outQueue
}

// tlsTransport is the net.Conn crypto/tls reads and writes. During the
// handshake the handshake goroutine reads (blocking) and the loop feeds;
// once established (loop true) only the loop touches it.
type tlsTransport struct {
	c  *Conn
	l  *Loop
	mu sync.Mutex
	cv sync.Cond

	buf  []byte  // ciphertext not yet handed to crypto/tls
	bufp *[]byte // pooled storage behind buf; nil when buf is a view of the loop's read buffer
	rem  int     // bytes of the current record not yet handed over (0: at a record boundary)

	loop    bool // established: reads never block, writes go straight to the output queue
	closed  bool
	eof     bool // the peer's FIN arrived during the handshake
	paused  bool // the loop stopped reading: tlsMaxHandshakeInput is buffered
	sem     chan struct{}
	holding bool // the handshake goroutine holds a slot of sem

	laddr, raddr net.Addr
}

// tlsAttach makes c a TLS connection with config cfg (a server's, or a
// client's when client is true); nil cfg leaves it plain.
func (l *Loop) tlsAttach(c *Conn, cfg *tls.Config, client bool) {
	if cfg == nil {
		return
	}
	tr := &tlsTransport{c: c, l: l, sem: l.cfg.tlsSem}
	tr.cv.L = &tr.mu
	t := &tlsState{tr: tr, client: client}
	if client {
		t.tc = tls.Client(tr, cfg)
	} else {
		t.tc = tls.Server(tr, cfg)
	}
	c.tls = t
}

// tlsOpen starts the handshake of a connected TLS connection: it arms the
// handshake timeout and, for a client, starts the handshake goroutine (a
// server waits for the peer's first bytes).
func (l *Loop) tlsOpen(c *Conn) {
	t := c.tls
	if d := l.cfg.tlsTimeout; d > 0 {
		t.deadline = l.now + int64(d)
		if c.deadline == 0 || t.deadline < c.deadline {
			c.deadline = t.deadline
		}
		l.schedule(c)
	}
	t.tr.laddr = c.LocalAddr()
	t.tr.raddr = c.RemoteAddr()
	if t.client {
		l.tlsStartHandshake(c)
	}
}

// tlsStartHandshake runs the handshake on its own goroutine, which reports
// back to the loop.
func (l *Loop) tlsStartHandshake(c *Conn) {
	t := c.tls
	if t.started {
		return
	}
	t.started = true
	l.tlsReady = true
	go func() {
		tr := t.tr
		tr.sem <- struct{}{}
		tr.holding = true
		err := tlsHandshake(t.tc)
		if tr.holding {
			<-tr.sem
			tr.holding = false
		}
		l.Submit(func() { l.tlsHandshakeDone(c, t, err) })
	}()
}

// tlsHandshake runs the handshake; a panic in a tls.Config callback
// (GetCertificate, VerifyPeerCertificate, ...) fails this handshake only.
func tlsHandshake(tc *tls.Conn) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError(v)
		}
	}()
	return tc.Handshake()
}

// tlsYield lets handshake goroutines that this iteration made runnable run
// before the loop blocks in Wait. Otherwise, when the loop holds the only P
// (GOMAXPROCS=1, or all Ps busy), they wait until the runtime's sysmon
// takes the P from the loop's blocking system call.
func (l *Loop) tlsYield() {
	if l.tlsReady {
		l.tlsReady = false
		runtime.Gosched()
	}
}

// tlsHandshakeDone runs on the loop when the handshake goroutine ends.
func (l *Loop) tlsHandshakeDone(c *Conn, t *tlsState, err error) {
	if c.tls != t || c.state == stateClosed {
		return
	}
	if err != nil {
		var rhe tls.RecordHeaderError
		if errors.As(err, &rhe) && rhe.Conn != nil && looksLikeHTTP(rhe.RecordHeader[:]) {
			// What net/http answers a plaintext request on a TLS port.
			c.out.append([]byte("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"))
		}
		l.tlsFail(c, wrapOp("tls handshake", err))
		return
	}
	t.tr.mu.Lock()
	t.tr.loop = true
	t.tr.keep()
	resume := t.tr.paused
	t.tr.paused = false
	t.tr.mu.Unlock()
	if resume {
		l.tlsResume(c, t.tr)
	}
	if t.deadline != 0 && c.deadline == t.deadline {
		c.deadline = 0
	}
	t.deadline = 0
	c.lastActive = l.now
	l.schedule(c)
	if c.state == stateConnecting {
		return
	}
	if t.early.n > 0 {
		for _, p := range t.early.pending() {
			if _, err := t.tc.Write(p); err != nil {
				c.fail(wrapOp("tls write", err))
				break
			}
		}
		t.early.release()
	}
	if c.dial != nil {
		c.dial <- nil
		c.dial = nil
	}
	if c.state == stateOpen {
		l.callOpen(c)
	}
	if c.state == stateOpen && !c.paused {
		if !l.tlsInput(c, nil) {
			return
		}
	}
	if c.eof && c.state == stateOpen {
		l.readEOF(c) // the FIN that came during the handshake
		return
	}
	l.settle(c)
}

// looksLikeHTTP reports whether a first record header is the start of an
// HTTP request (as net/http checks it).
func looksLikeHTTP(hdr []byte) bool {
	switch string(hdr) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO":
		return true
	}
	return false
}

// tlsFail sends what crypto/tls queued (its alert) as far as the socket
// takes it at once, then closes the connection with err.
func (l *Loop) tlsFail(c *Conn, err error) {
	if c.out.n > 0 && !c.wantWrite {
		l.flush(c)
	}
	l.closeConn(c, err, false)
}

// tlsInput takes ciphertext p just read (a view of the loop's buffer; nil
// when only buffered ciphertext is to be processed). During the handshake it
// feeds the handshake goroutine; afterwards it decrypts every complete
// record and delivers the plaintext to OnData. It reports whether reading
// may go on (false: the connection closed or was paused).
func (l *Loop) tlsInput(c *Conn, p []byte) bool {
	t := c.tls
	tr := t.tr
	if !tr.loop {
		return l.tlsFeedHandshake(c, p)
	}
	if len(p) > 0 {
		if tr.bufp == nil && len(tr.buf) == 0 {
			tr.buf = p
		} else {
			tr.appendOwned(p)
		}
	}
	ok := l.tlsDecrypt(c)
	if c.state != stateClosed {
		tr.keep()
	}
	return ok
}

// tlsFeedHandshake queues ciphertext for the handshake goroutine.
func (l *Loop) tlsFeedHandshake(c *Conn, p []byte) bool {
	t := c.tls
	tr := t.tr
	if len(p) == 0 {
		return true
	}
	tr.mu.Lock()
	tr.appendOwned(p)
	tr.cv.Signal()
	l.tlsReady = true
	full := len(tr.buf) >= tlsMaxHandshakeInput
	if full && !c.paused {
		tr.paused = true
		c.paused = true
		l.updateInterest(c)
	}
	tr.mu.Unlock()
	if !t.client {
		l.tlsStartHandshake(c)
	}
	return !full
}

// tlsResume reads a connection again that tlsFeedHandshake paused.
func (l *Loop) tlsResume(c *Conn, tr *tlsTransport) {
	if c.tls == nil || c.tls.tr != tr || c.state == stateClosed || !c.paused || c.out.n > l.cfg.high {
		return
	}
	c.paused = false
	l.updateInterest(c)
	l.requeue(c)
}

// tlsDecrypt decrypts complete records in batches and calls OnData after
// each batch.
func (l *Loop) tlsDecrypt(c *Conn) bool {
	t := c.tls
	tr := t.tr
	for c.state == stateOpen && !c.paused {
		got := 0
		var rerr error
		for got < tlsBatch && tr.ready(false) > 0 {
			space := l.tlsSpace(c)
			n, err := t.tc.Read(space)
			if n > 0 {
				c.in = c.in[:len(c.in)+n]
				got += n
			}
			if err != nil {
				if _, ok := err.(tlsWouldBlock); ok {
					continue // a record without application data
				}
				rerr = err
				break
			}
		}
		if got == 0 && c.inBuf == nil {
			c.in = nil
		}
		if got > 0 {
			c.lastActive = l.now
			l.callData(c)
			if !l.afterData(c) {
				return false
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				// close_notify: the peer's end of data, as a FIN.
				if _, ok := c.handler.(ReadHangupHandler); !ok && c.state == stateOpen {
					t.tc.CloseWrite()
				}
				l.readEOF(c)
				return false
			}
			l.tlsFail(c, wrapOp("tls read", rerr))
			return false
		}
		if got == 0 {
			break
		}
	}
	return c.state != stateClosed
}

// tlsSpace returns room for at least one record's plaintext after c.in,
// in the loop's plaintext buffer when c holds no buffer of its own.
func (l *Loop) tlsSpace(c *Conn) []byte {
	if c.inBuf == nil {
		if len(c.in) == 0 {
			if l.tlsPlain == nil {
				l.tlsPlain = make([]byte, tlsBatch+tlsMaxPlaintext)
			}
			c.in = l.tlsPlain[:0]
		}
		return l.tlsPlain[len(c.in):cap(l.tlsPlain)]
	}
	b := *c.inBuf
	start := cap(b) - cap(c.in)
	n := len(c.in)
	if cap(b)-start-n >= tlsMaxPlaintext {
		return b[start+n : cap(b)]
	}
	if cap(b)-n >= tlsMaxPlaintext {
		copy(b[:n], c.in)
		c.in = b[:n]
		return b[n:cap(b)]
	}
	nb := getBuf(n + tlsMaxPlaintext)
	copy(*nb, c.in)
	putBuf(c.inBuf)
	c.inBuf = nb
	c.in = (*nb)[:n]
	return (*nb)[n:cap(*nb)]
}

// tlsEOF handles the peer's FIN on a TLS connection; it reports whether it
// took care of it: during the handshake the goroutine is told (it finishes
// with what is buffered, and the FIN is handled after it), and a FIN inside
// a record closes the connection with io.ErrUnexpectedEOF.
func (l *Loop) tlsEOF(c *Conn) bool {
	tr := c.tls.tr
	tr.mu.Lock()
	est, partial := tr.loop, len(tr.buf) > 0 || tr.rem > 0
	if !est {
		tr.eof = true
		tr.cv.Signal()
	}
	tr.mu.Unlock()
	if !est && c.state == stateOpen {
		c.eof = true // read no more; tlsHandshakeDone handles the FIN
		l.updateInterest(c)
		if !c.tls.started {
			l.closeConn(c, wrapOp("tls handshake", io.ErrUnexpectedEOF), false)
		}
		return true
	}
	if partial && c.state == stateOpen {
		l.closeConn(c, wrapOp("tls read", io.ErrUnexpectedEOF), false)
		return true
	}
	return false
}

// tlsWrite encrypts p into the output queue (or keeps it until the
// handshake has finished).
func (c *Conn) tlsWrite(p []byte) (int, error) {
	t := c.tls
	if !t.tr.loop {
		t.early.append(p)
		return len(p), nil
	}
	n, err := t.tc.Write(p)
	if err != nil {
		err = wrapOp("tls write", err)
		c.fail(err)
		return n, err
	}
	return n, nil
}

// tlsCloseNotify queues close_notify before a graceful close.
func (c *Conn) tlsCloseNotify() {
	if c.tls != nil && c.tls.tr.loop {
		c.tls.tc.CloseWrite()
	}
}

// tlsRelease ends the handshake goroutine's reads and gives back buffers.
func (c *Conn) tlsRelease() {
	tr := c.tls.tr
	tr.mu.Lock()
	tr.closed = true
	if tr.bufp != nil {
		putBuf(tr.bufp)
		tr.bufp = nil
	}
	tr.buf = nil
	tr.cv.Broadcast()
	tr.mu.Unlock()
	c.tls.early.release()
}

// TLSConnectionState returns the connection's TLS state (negotiated
// version, ALPN protocol, peer certificates, resumption) and true, or false
// for a connection without TLS. Call it on the loop, from OnOpen on.
func (c *Conn) TLSConnectionState() (tls.ConnectionState, bool) {
	if c.tls == nil {
		return tls.ConnectionState{}, false
	}
	return c.tls.tc.ConnectionState(), true
}

// ready returns how many buffered bytes may be handed to crypto/tls now: the
// rest of the current record, once it is complete (or at once when partial
// is true, or when its header announces an impossible length, so that
// crypto/tls rejects it). Called with mu held or on the loop once
// established.
func (tr *tlsTransport) ready(partial bool) int {
	if tr.rem == 0 {
		if len(tr.buf) < tlsRecordHeaderLen {
			return 0 // crypto/tls wants the whole header first
		}
		tr.rem = tlsRecordHeaderLen + (int(tr.buf[3])<<8 | int(tr.buf[4]))
	}
	if len(tr.buf) >= tr.rem || partial || tr.rem > tlsMaxRecord {
		return min(len(tr.buf), tr.rem)
	}
	return 0
}

// appendOwned copies p after the buffered ciphertext, in pooled storage.
func (tr *tlsTransport) appendOwned(p []byte) {
	n := len(tr.buf)
	if tr.bufp != nil {
		b := *tr.bufp
		start := cap(b) - cap(tr.buf)
		if cap(b)-start-n >= len(p) {
			tr.buf = append(tr.buf, p...)
			return
		}
		if cap(b) >= n+len(p) {
			copy(b, tr.buf)
			tr.buf = append(b[:n], p...)
			return
		}
	}
	nb := getBuf(n + len(p))
	copy(*nb, tr.buf)
	if tr.bufp != nil {
		putBuf(tr.bufp)
	}
	tr.bufp = nb
	tr.buf = append((*nb)[:n], p...)
}

// keep moves leftover ciphertext out of the loop's read buffer (which the
// next read reuses), and gives the pooled buffer back when nothing is left.
func (tr *tlsTransport) keep() {
	if len(tr.buf) == 0 {
		tr.buf = nil
		if tr.bufp != nil {
			putBuf(tr.bufp)
			tr.bufp = nil
		}
		return
	}
	if tr.bufp == nil {
		p := tr.buf
		tr.buf = nil
		tr.appendOwned(p)
	}
}

// pending reports whether a complete record waits (loop side).
func (tr *tlsTransport) pending() bool { return tr.loop && tr.ready(false) > 0 }

// Read hands crypto/tls the bytes of the current record. During the
// handshake it blocks until some are buffered, giving back its handshake
// slot while it waits; once established it never blocks.
func (tr *tlsTransport) Read(p []byte) (int, error) {
	tr.mu.Lock()
	if tr.loop {
		n := tr.take(p, tr.ready(false))
		tr.mu.Unlock()
		if n == 0 {
			return 0, errTLSWouldBlock
		}
		return n, nil
	}
	waited := false
	for !tr.closed && tr.ready(true) == 0 {
		if tr.eof {
			tr.mu.Unlock()
			return 0, io.EOF
		}
		if tr.holding {
			<-tr.sem
			tr.holding = false
		}
		waited = true
		tr.cv.Wait()
	}
	if tr.closed {
		tr.mu.Unlock()
		return 0, net.ErrClosed
	}
	n := tr.take(p, tr.ready(true))
	resume := tr.paused && len(tr.buf) < tlsMaxHandshakeInput/2
	if resume {
		tr.paused = false
	}
	tr.mu.Unlock()
	if resume {
		l, c := tr.l, tr.c
		l.Submit(func() { l.tlsResume(c, tr) })
	}
	if waited && !tr.holding {
		tr.sem <- struct{}{}
		tr.holding = true
	}
	return n, nil
}

// take copies up to avail bytes into p and consumes them.
func (tr *tlsTransport) take(p []byte, avail int) int {
	n := copy(p, tr.buf[:avail])
	tr.buf = tr.buf[n:]
	tr.rem -= n
	return n
}

// Write queues ciphertext on the connection: directly when called on the
// loop (established), through the loop's task queue from the handshake
// goroutine.
func (tr *tlsTransport) Write(p []byte) (int, error) {
	tr.mu.Lock()
	loop, closed := tr.loop, tr.closed
	tr.mu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	c := tr.c
	if loop {
		if c.out.n+len(p) > c.l.cfg.maxOut {
			return 0, ErrOutboundLimit
		}
		c.out.append(p)
		c.markDirty()
		return len(p), nil
	}
	b := getBuf(len(p))
	n := copy(*b, p)
	err := tr.l.Submit(func() {
		if c.state == stateClosed || c.tls == nil || c.tls.tr != tr {
			putBuf(b)
			return
		}
		c.out.appendOwned(b, n)
		c.markDirty()
	})
	if err != nil {
		putBuf(b)
		return 0, err
	}
	return len(p), nil
}

// Close ends blocked reads (crypto/tls calls it when a handshake context
// ends; the loop closes the socket itself).
func (tr *tlsTransport) Close() error {
	tr.mu.Lock()
	tr.closed = true
	tr.cv.Broadcast()
	tr.mu.Unlock()
	return nil
}

func (tr *tlsTransport) LocalAddr() net.Addr              { return tr.laddr }
func (tr *tlsTransport) RemoteAddr() net.Addr             { return tr.raddr }
func (tr *tlsTransport) SetDeadline(time.Time) error      { return nil }
func (tr *tlsTransport) SetReadDeadline(time.Time) error  { return nil }
func (tr *tlsTransport) SetWriteDeadline(time.Time) error { return nil }

// tlsClientConfig returns cfg with ServerName taken from the dialed
// address when it is empty (as tls.Dial does); nil stays nil.
func tlsClientConfig(cfg *tls.Config, address string) *tls.Config {
	if cfg == nil || cfg.ServerName != "" {
		return cfg
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	cfg = cfg.Clone()
	cfg.ServerName = host
	return cfg
}
