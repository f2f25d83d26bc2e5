package reactor

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventpoll/eventpoll"
)

// Handler receives a stream connection's events. All three methods run on
// the connection's loop goroutine, one at a time; they must not block. A
// panic in a callback is recovered: the connection is aborted, OnClose gets
// a *PanicError and the server keeps serving (see Server.PanicHandler and
// Server.CrashOnPanic).
type Handler interface {
	// OnOpen is called once the connection is registered (accepted, or
	// connected for a Dial).
	OnOpen(c *Conn)
	// OnData is called when new inbound bytes are in c's buffer (c.Peek,
	// c.Next, c.Discard). Bytes the handler leaves are kept for the next call.
	OnData(c *Conn)
	// OnClose is called once when the connection is gone. err is nil after
	// a local Close or Abort or an orderly close by the peer; otherwise it
	// says why (a reset, a timeout, a limit, ErrServerClosed).
	OnClose(c *Conn, err error)
}

// WritableHandler is implemented by handlers that want to know when a
// connection's queued output, having passed Server.WriteHighWater, has
// drained to Server.WriteLowWater or below (reading has then resumed).
type WritableHandler interface {
	OnWritable(c *Conn)
}

// ReadHangupHandler is implemented by handlers that keep a connection open
// after the peer has shut down its writing side. Without it, the server
// closes the connection as soon as the remaining inbound bytes have been
// delivered and the queued output has been sent. With it, OnReadHangup is
// called instead and the handler closes the connection when it is done.
type ReadHangupHandler interface {
	OnReadHangup(c *Conn)
}

// Server runs event loops that serve stream and datagram sockets. Configure
// it with its fields before the first call to Serve, ListenAndServe, Listen,
// Start or Dial; the zero value of each field is a useful default. A Server
// must not be copied after first use.
type Server struct {
	// Handler serves stream connections (TCP, Unix).
	Handler Handler
	// PacketHandler serves datagram sockets (UDP).
	PacketHandler PacketHandler
	// Loops is the number of event loops, each one goroutine with its own
	// poller; 0 means runtime.GOMAXPROCS(0).
	Loops int
	// Backend names the poller backend ("epoll", "poll", "select",
	// "io_uring"); "" means the Kernel's default. It is the readiness
	// engine's; EngineCompletion ignores it (and falls back to it).
	Backend string
	// Engine selects how the loops drive connections: EngineReadiness (the
	// zero value: a Poller reports readiness, the loop reads and writes)
	// or EngineCompletion (io_uring on Linux: multishot accept, multishot
	// receive into a shared provided-buffer ring, sends submitted in
	// batches, one io_uring_enter per busy loop iteration). The completion
	// engine serves the same Handler API with the same rules (see
	// Engine); where it cannot serve the configuration (io_uring
	// unavailable, TLSConfig or TLSClientConfig set, a Kernel other than
	// eventpoll.Host) the server runs the readiness engine on Backend
	// instead (eventpoll.DefaultBackend when Backend is "io_uring") and
	// logs one line saying why.
	Engine Engine
	// Trigger is Edge (the default) or Level.
	Trigger Trigger
	// Accept spreads new connections over the loops; see AcceptPolicy.
	Accept AcceptPolicy
	// Kernel performs every system call; nil means eventpoll.Host().
	Kernel eventpoll.Kernel
	// ReadBufferSize is the size of each loop's shared read buffer, the most
	// one read takes; 0 means DefaultReadBufferSize (64 KiB).
	ReadBufferSize int
	// ReadBudget is the most bytes read from one connection per wake-up, so
	// that a flooding peer cannot starve the others; 0 means
	// DefaultReadBudget (256 KiB).
	ReadBudget int
	// ReadUntilEAGAIN makes edge-triggered loops read until a read fails
	// with EAGAIN even after a short read (the seeds' discipline, and what
	// backends that emulate edge triggering always get). On epoll a short
	// read already means the socket was drained, so by default the loop
	// stops there and saves one read per wake-up.
	ReadUntilEAGAIN bool
	// WriteHighWater: a connection with more queued output stops being read
	// (and a Pipeline stops running its buffered requests) until the output
	// drains to WriteLowWater. 0 means 4 MiB and 1 MiB.
	WriteHighWater, WriteLowWater int
	// MaxInbound is the most unconsumed inbound bytes a handler may leave in
	// a connection's buffer; beyond it the connection is closed with
	// ErrInboundLimit. 0 means DefaultMaxInbound (4 MiB).
	MaxInbound int
	// MaxOutbound is the most queued output per connection; a Write beyond
	// it fails with ErrOutboundLimit and closes the connection. 0 means
	// DefaultMaxOutbound (64 MiB) or twice WriteHighWater if larger.
	MaxOutbound int
	// IdleTimeout closes a connection after that long without a successful
	// read or write (ErrIdleTimeout); 0 means no timeout. Conn.SetIdleTimeout
	// changes it per connection.
	IdleTimeout time.Duration
	// LingerTimeout bounds a graceful close: sending the queued output, then
	// waiting for the peer's FIN after ours. 0 means 5 s.
	LingerTimeout time.Duration
	// Logger receives accept errors, recovered panics and other events; nil
	// discards them.
	Logger *slog.Logger
	// TLSConfig, when not nil, makes every accepted connection a TLS server
	// connection (see tls.go): handlers see plaintext through the same Conn
	// API, and OnOpen follows the handshake.
	TLSConfig *tls.Config
	// TLSClientConfig, when not nil, makes connections made by Dial,
	// DialContext and Loop.Dial TLS clients. An empty ServerName is taken
	// from the dialed host.
	TLSClientConfig *tls.Config
	// TLSHandshakeTimeout closes a TLS connection whose handshake has not
	// finished in that time (ErrTLSHandshakeTimeout); 0 means
	// DefaultTLSHandshakeTimeout (10 s), negative means none.
	TLSHandshakeTimeout time.Duration
	// TLSHandshakeConcurrency bounds the handshakes computing at once (a
	// handshake waiting for its peer does not count); 0 means
	// 4 * GOMAXPROCS.
	TLSHandshakeConcurrency int
	// PanicHandler, when set, is called on the loop with each panic
	// recovered from a callback instead of logging it; c is nil for
	// callbacks of no connection (Loop.Submit, Loop.AfterFunc, OnPacket).
	// The connection is aborted either way and OnClose gets p.
	PanicHandler func(c *Conn, p *PanicError)
	// CrashOnPanic turns recovery off: a panicking callback ends the
	// program, as a panic in any goroutine does.
	CrashOnPanic bool
	// Workers bounds the goroutines that run off-loop work (Conn.Go),
	// started on demand; 0 means DefaultWorkers * GOMAXPROCS.
	Workers int

	mu      sync.Mutex
	cfg     config
	started bool
	closed  bool // Shutdown or Close was called
	loops   []*Loop
	running atomic.Int32
	done    chan struct{} // closed when every loop has exited
	rr      atomic.Uint32
}

// Start creates and starts the loops without serving a listener (for
// clients that only Dial). Serve, ListenAndServe and Dial call it.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked()
}

func (s *Server) startLocked() error {
	if s.closed {
		return ErrServerClosed
	}
	if s.started {
		return nil
	}
	s.cfg = s.config()
	s.done = make(chan struct{})
	loops := make([]*Loop, 0, s.cfg.loops)
	for i := 0; i < s.cfg.loops; i++ {
		l, err := newLoop(s, i)
		if err != nil {
			for _, l := range loops {
				l.release()
			}
			return err
		}
		loops = append(loops, l)
	}
	s.loops = loops
	s.started = true
	s.running.Store(int32(len(loops)))
	for _, l := range loops {
		go l.run()
	}
	return nil
}

// loopExited is called by each loop goroutine as it ends.
func (s *Server) loopExited() {
	if s.running.Add(-1) == 0 {
		close(s.done)
	}
}

// Serve serves connections accepted from ln until ctx is done (then it
// closes the server as Close does and returns ctx.Err()), the server is shut
// down or closed (ErrServerClosed), or the listener is closed. Serve takes a
// duplicate of ln's descriptor and closes ln when it returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer ln.Close()
	if err := s.Start(); err != nil {
		return err
	}
	fd, err := listenerFD(s.cfg.k, ln)
	if err != nil {
		return err
	}
	l := &Listener{s: s, network: ln.Addr().Network(), addr: ln.Addr(), fds: []int{fd}, done: make(chan struct{})}
	return s.ServeListener(ctx, l)
}

// ListenAndServe listens on the network address (see Listen) and serves it
// as ServeListener does.
func (s *Server) ListenAndServe(ctx context.Context, network, address string) error {
	l, err := s.Listen(network, address)
	if err != nil {
		return err
	}
	return s.ServeListener(ctx, l)
}

// ServeListener serves a Listener made by Listen until ctx is done (then it
// closes the server and returns ctx.Err()), the server is shut down or
// closed (ErrServerClosed) or ln is closed (nil). Stream listeners need
// Handler, datagram sockets PacketHandler.
func (s *Server) ServeListener(ctx context.Context, ln *Listener) error {
	if err := s.Start(); err != nil {
		ln.Close()
		return err
	}
	if err := ln.attach(); err != nil {
		ln.Close()
		return err
	}
	select {
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	case <-s.done:
		return ErrServerClosed
	case <-ln.done:
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return ErrServerClosed
		}
		return nil
	}
}

// Shutdown stops accepting and ends every connection's input: what has
// arrived is read and delivered (unless reading is paused by backpressure),
// later input is discarded, and the connection closes gracefully once its
// handler is done (a Pipeline answers every request received first): its
// queued output is sent, then a FIN, each step bounded by LingerTimeout.
// Shutdown returns nil when every connection has closed so. If ctx is done
// first, it closes what is left as Close does, logs how many connections
// were cut, and returns an error that wraps ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	started, loops := s.started, s.loops
	s.mu.Unlock()
	if !started {
		return nil
	}
	for _, l := range loops {
		l.push(task{kind: taskShutdown})
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		n := 0
		for _, l := range loops {
			n += int(l.nconns.Load())
		}
		s.cfg.log.Warn("reactor: shutdown deadline passed; closing the remaining connections", "connections", n, "err", ctx.Err())
		s.Close()
		return fmt.Errorf("reactor: shutdown: %d connections cut: %w", n, ctx.Err())
	}
}

// Close closes every listener and connection at once (queued output is
// dropped; OnClose gets ErrServerClosed) and waits for the loops to exit.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	started, loops := s.started, s.loops
	s.mu.Unlock()
	if !started {
		return nil
	}
	for _, l := range loops {
		l.push(task{kind: taskStop})
	}
	<-s.done
	return nil
}

// Loop returns the loop with the fewest connections, starting the server if
// needed (nil if it cannot start). Use it to Dial or Submit from outside.
func (s *Server) Loop() *Loop {
	if err := s.Start(); err != nil {
		return nil
	}
	return s.pickLoop()
}

// pickLoop chooses the loop for a new connection: the loop with the fewest
// connections, ties broken round robin.
func (s *Server) pickLoop() *Loop {
	n := len(s.loops)
	if n == 1 {
		return s.loops[0]
	}
	start := int(s.rr.Add(1)) % n
	best := s.loops[start]
	bestN := best.nconns.Load()
	for i := 1; i < n && bestN > 0; i++ {
		l := s.loops[(start+i)%n]
		if c := l.nconns.Load(); c < bestN {
			best, bestN = l, c
		}
	}
	return best
}
