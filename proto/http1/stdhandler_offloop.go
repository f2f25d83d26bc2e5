package http1

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/eventpoll/eventpoll/reactor"
)

// DefaultReadHeaderTimeout is StdHandler's header timeout when its field is
// 0 (net/http.Server has none; a server that faces the Internet needs one,
// or slow peers hold it open for ever). The idle timeout defaults to
// DefaultIdleTimeout.
const DefaultReadHeaderTimeout = 10 * time.Second

// StdHandler serves an ordinary net/http Handler on a reactor.Server. Make
// one with FromHTTPHandler and set its fields before serving.
//
// As a reactor.Handler (the default, off-loop mode) it gives every
// connection to a net/http.Server through a reactor.NetConn: the loop
// reads and writes the socket, and net/http runs the handlers on its own
// goroutines, so a handler may block, and everything net/http offers
// works: streamed request bodies (http.MaxBytesReader), Flush (chunked
// streaming), http.Hijacker, Request.Context cancelled when the client
// goes away, and the four timeouts below. With InLoop set, handlers run on
// the loop inside the HTTP/1.1 engine instead (faster for handlers that
// never block, with the limits listed at NewHandler's stdAdapter).
//
// As an http1.Handler (Config.Handler) it always runs in-loop.
type StdHandler struct {
	// ReadHeaderTimeout bounds reading a request's headers; 0 means
	// DefaultReadHeaderTimeout (10 s), negative means none.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included; 0 or
	// negative means none (as in net/http).
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response; 0 or negative means none.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle that long; 0 means
	// DefaultIdleTimeout (120 s), negative means none.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds request headers; 0 means net/http's default
	// (1 MiB).
	MaxHeaderBytes int
	// Logger receives net/http's errors (handler panics among them); nil
	// discards them.
	Logger *slog.Logger
	// InLoop runs handlers on the loop (see above): only for handlers that
	// never block.
	InLoop bool

	h      http.Handler
	once   sync.Once
	srv    *http.Server
	ln     *connQueue
	inLoop *ServerHandler
}

// FromHTTPHandler returns a StdHandler that serves h: by default off the
// loop, through net/http.Server over reactor.NetConn (see StdHandler).
func FromHTTPHandler(h http.Handler) *StdHandler {
	return &StdHandler{h: h}
}

// ServeHTTP1 runs the handler in-loop inside the HTTP/1.1 engine.
func (sh *StdHandler) ServeHTTP1(w *ResponseWriter, r *Request) {
	stdAdapter{sh.h}.ServeHTTP1(w, r)
}

func (sh *StdHandler) start() {
	sh.once.Do(func() {
		if sh.InLoop {
			sh.inLoop = NewHandler(Config{Handler: stdAdapter{sh.h}})
			return
		}
		timeout := func(d, def time.Duration) time.Duration {
			switch {
			case d == 0:
				return def
			case d < 0:
				return 0
			}
			return d
		}
		lg := sh.Logger
		if lg == nil {
			lg = slog.New(slog.DiscardHandler)
		}
		sh.ln = newConnQueue()
		sh.srv = &http.Server{
			Handler:           sh.h,
			ReadHeaderTimeout: timeout(sh.ReadHeaderTimeout, DefaultReadHeaderTimeout),
			ReadTimeout:       max(sh.ReadTimeout, 0),
			WriteTimeout:      max(sh.WriteTimeout, 0),
			IdleTimeout:       timeout(sh.IdleTimeout, DefaultIdleTimeout),
			MaxHeaderBytes:    sh.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(lg.Handler(), slog.LevelError),
		}
		go sh.srv.Serve(sh.ln)
	})
}

// OnOpen hands the connection to net/http (or to the in-loop engine).
func (sh *StdHandler) OnOpen(c *reactor.Conn) {
	sh.start()
	if sh.inLoop != nil {
		sh.inLoop.OnOpen(c)
		return
	}
	nc := reactor.NewNetConn(c)
	if !sh.ln.put(nc) {
		c.Abort()
	}
}

// OnData passes the bytes to the connection's reader.
func (sh *StdHandler) OnData(c *reactor.Conn) {
	if sh.inLoop != nil {
		sh.inLoop.OnData(c)
	} else if nc := reactor.NetConnOf(c); nc != nil {
		nc.OnData(c)
	}
}

// OnReadHangup records the client's FIN.
func (sh *StdHandler) OnReadHangup(c *reactor.Conn) {
	if sh.inLoop != nil {
		sh.inLoop.OnReadHangup(c)
	} else if nc := reactor.NetConnOf(c); nc != nil {
		nc.OnReadHangup(c)
	}
}

// OnWritable resumes blocked writers.
func (sh *StdHandler) OnWritable(c *reactor.Conn) {
	if sh.inLoop != nil {
		sh.inLoop.OnWritable(c)
	} else if nc := reactor.NetConnOf(c); nc != nil {
		nc.OnWritable(c)
	}
}

// OnClose ends the connection.
func (sh *StdHandler) OnClose(c *reactor.Conn, err error) {
	if sh.inLoop != nil {
		sh.inLoop.OnClose(c, err)
	} else if nc := reactor.NetConnOf(c); nc != nil {
		nc.OnClose(c, err)
	}
}

// Shutdown stops the off-loop net/http server gracefully (see
// http.Server.Shutdown); the reactor.Server is shut down separately.
func (sh *StdHandler) Shutdown(ctx context.Context) error {
	// start through the Once, so that this goroutine sees the server the
	// first OnOpen made (or makes the one that refuses every later
	// connection).
	sh.start()
	if sh.srv == nil {
		return nil
	}
	return sh.srv.Shutdown(ctx)
}

// connQueue is the net.Listener net/http serves: the connections the
// reactor accepted, in order.
type connQueue struct {
	mu     sync.Mutex
	q      []net.Conn
	wait   chan struct{}
	closed bool
}

func newConnQueue() *connQueue { return &connQueue{wait: make(chan struct{})} }

func (q *connQueue) put(c net.Conn) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.q = append(q.q, c)
	close(q.wait)
	q.wait = make(chan struct{})
	return true
}

// Accept returns the next connection.
func (q *connQueue) Accept() (net.Conn, error) {
	for {
		q.mu.Lock()
		if len(q.q) > 0 {
			c := q.q[0]
			q.q[0] = nil
			q.q = q.q[1:]
			q.mu.Unlock()
			return c, nil
		}
		if q.closed {
			q.mu.Unlock()
			return nil, net.ErrClosed
		}
		w := q.wait
		q.mu.Unlock()
		<-w
	}
}

// Close stops Accept; queued connections are closed.
func (q *connQueue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	close(q.wait)
	rest := q.q
	q.q = nil
	q.mu.Unlock()
	for _, c := range rest {
		c.Close()
	}
	return nil
}

// Addr returns a placeholder address: connections come from any listener
// of the reactor.Server.
func (q *connQueue) Addr() net.Addr { return queueAddr{} }

type queueAddr struct{}

func (queueAddr) Network() string { return "reactor" }
func (queueAddr) String() string  { return "reactor" }

var (
	_ reactor.Handler           = (*StdHandler)(nil)
	_ reactor.WritableHandler   = (*StdHandler)(nil)
	_ reactor.ReadHangupHandler = (*StdHandler)(nil)
)
