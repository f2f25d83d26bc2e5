package reactor

import (
	"crypto/tls"
	"log/slog"
	"runtime"
	"time"

	"github.com/eventpoll/eventpoll"
)

// Trigger selects how connections are registered with the poller.
type Trigger int

const (
	// Edge registers each connection once for reading and writing, edge-
	// triggered: the loop reads until EAGAIN (or a short read on epoll),
	// within the per-wake read budget, and never changes the registration.
	// It is the default.
	Edge Trigger = iota
	// Level registers connections level-triggered and changes the
	// registration as needed: writable interest only while output is queued,
	// readable interest removed while a connection is paused by backpressure.
	Level
)

// String returns "edge" or "level".
func (t Trigger) String() string {
	if t == Level {
		return "level"
	}
	return "edge"
}

// Engine selects how a Server's loops drive their connections.
type Engine int

const (
	// EngineReadiness drives connections with a Poller (Server.Backend):
	// it reports which sockets are ready, and the loop reads and writes
	// them with system calls of its own. It is the default, and it runs on
	// every Kernel, simulated ones included.
	EngineReadiness Engine = iota
	// EngineCompletion drives connections with io_uring requests on Linux
	// (engine_uring_linux.go): a multishot accept per listening socket, a
	// multishot receive per connection into buffers the kernel takes from
	// a provided-buffer ring shared by the loop's connections (an idle
	// connection holds none), queued output sent with send or sendmsg
	// (one request in flight per connection), cancellations through the
	// ring (a descriptor is closed once the queue naming it is submitted),
	// wake-ups through an eventfd read, and per iteration one
	// io_uring_enter that submits and collects without waiting (a second,
	// waiting one only when nothing had completed), on a ring set up
	// SINGLE_ISSUER|DEFER_TASKRUN where the kernel has them (each loop
	// goroutine is then locked to its thread). Handler API and rules are
	// the readiness engine's: backpressure stops re-arming the receive
	// (and cancels it), ReadBudget bounds the bytes delivered per
	// connection and iteration (the rest waits for the next), graceful
	// close and half-close, MaxInbound and MaxOutbound, timers, EMFILE
	// (reserve descriptor and backoff), generation numbers in the user
	// data of every request, Loop.Submit, Dial (a poll request for the
	// connect), UDP (a one-shot poll request, then recvfrom). Writes are
	// always queued (no direct write of large buffers). It needs Linux
	// 6.0 (multishot receive) and the host Kernel, and does not run TLS;
	// see Server.Engine for what happens otherwise.
	EngineCompletion
)

// String returns "readiness" or "completion".
func (e Engine) String() string {
	if e == EngineCompletion {
		return "completion"
	}
	return "readiness"
}

// AcceptPolicy selects how accepted connections are spread over the loops.
type AcceptPolicy int

const (
	// AcceptBalance (the default) registers each listening socket in one
	// loop, which accepts until EAGAIN and hands every new connection to the
	// loop with the fewest connections. It works for every listener (TCP,
	// Unix, a net.Listener given to Serve) and every backend, and it keeps
	// loops even when connections live for very different times, at the cost
	// of one cross-loop wake-up per accepted connection.
	AcceptBalance AcceptPolicy = iota
	// AcceptReusePort gives every loop its own TCP listening socket bound to
	// the same address with SO_REUSEPORT; the kernel spreads connections by
	// a hash of their addresses and no connection changes loop. It applies to
	// TCP addresses opened by Listen or ListenAndServe; elsewhere Listen
	// falls back to AcceptBalance.
	AcceptReusePort
)

// Defaults for the zero values of Server's fields.
const (
	DefaultReadBufferSize = 64 << 10
	DefaultReadBudget     = 256 << 10
	DefaultWriteHighWater = 4 << 20
	DefaultWriteLowWater  = 1 << 20
	DefaultMaxInbound     = 4 << 20
	DefaultMaxOutbound    = 64 << 20
	DefaultLingerTimeout  = 5 * time.Second
)

// config is a Server's settings with the defaults applied.
type config struct {
	loops       int
	backend     string
	completion  bool // EngineCompletion, after the fallback checks
	edge        bool
	untilEAGAIN bool
	accept      AcceptPolicy
	k           eventpoll.Kernel
	readBuf     int
	budget      int
	high, low   int
	maxIn       int
	maxOut      int
	idle        time.Duration
	linger      time.Duration
	log         *slog.Logger
	onPanic     func(*Conn, *PanicError)
	crash       bool
	pool        *workPool
	handler     Handler
	packet      PacketHandler
	tlsServer   *tls.Config
	tlsClient   *tls.Config
	tlsTimeout  time.Duration
	tlsSem      chan struct{}
}

func (s *Server) config() config {
	c := config{
		loops:       s.Loops,
		backend:     s.Backend,
		edge:        s.Trigger != Level,
		untilEAGAIN: s.ReadUntilEAGAIN,
		accept:      s.Accept,
		k:           s.Kernel,
		readBuf:     s.ReadBufferSize,
		budget:      s.ReadBudget,
		high:        s.WriteHighWater,
		low:         s.WriteLowWater,
		maxIn:       s.MaxInbound,
		maxOut:      s.MaxOutbound,
		idle:        s.IdleTimeout,
		linger:      s.LingerTimeout,
		log:         s.Logger,
		onPanic:     s.PanicHandler,
		crash:       s.CrashOnPanic,
		pool:        newWorkPool(s.Workers),
		handler:     s.Handler,
		packet:      s.PacketHandler,
	}
	if c.loops <= 0 {
		c.loops = runtime.GOMAXPROCS(0)
	}
	if c.k == nil {
		c.k = eventpoll.Host()
	}
	if c.readBuf <= 0 {
		c.readBuf = DefaultReadBufferSize
	}
	if c.budget <= 0 {
		c.budget = DefaultReadBudget
	}
	if c.high <= 0 {
		c.high = DefaultWriteHighWater
	}
	if c.low <= 0 {
		c.low = min(DefaultWriteLowWater, c.high/4)
	}
	if c.low > c.high {
		c.low = c.high
	}
	if c.maxIn <= 0 {
		c.maxIn = DefaultMaxInbound
	}
	if c.maxOut <= 0 {
		c.maxOut = max(DefaultMaxOutbound, 2*c.high)
	}
	if c.linger <= 0 {
		c.linger = DefaultLingerTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.tlsServer, c.tlsClient = s.TLSConfig, s.TLSClientConfig
	c.tlsTimeout = s.TLSHandshakeTimeout
	if c.tlsTimeout == 0 {
		c.tlsTimeout = DefaultTLSHandshakeTimeout
	}
	n := s.TLSHandshakeConcurrency
	if n <= 0 {
		n = 4 * runtime.GOMAXPROCS(0)
	}
	c.tlsSem = make(chan struct{}, n)
	if s.Engine == EngineCompletion {
		c.completion = completionFallback(&c)
	}
	if !c.completion {
		c.backend = fallbackBackend(c.k, c.backend, c.log)
	}
	return c
}
