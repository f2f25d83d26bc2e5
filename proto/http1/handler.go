package http1

import (
	"sync"

	"github.com/eventpoll/eventpoll/reactor"
)

// ServerHandler serves HTTP/1.1 on a reactor.Server: each connection gets
// a pooled Session kept in its Conn.Context.
//
// The reactor closes a connection that leaves more than Server.MaxInbound
// bytes unconsumed; set MaxInbound to at least InboundLimit so that limits
// are answered with 413/431 instead of a bare close.
type ServerHandler struct {
	cfg      Config
	sessions sync.Pool
}

// NewHandler returns a reactor handler serving cfg.Handler (Hello when nil).
func NewHandler(cfg Config) *ServerHandler {
	if cfg.Handler == nil {
		cfg.Handler = Hello()
	}
	h := &ServerHandler{cfg: cfg}
	h.sessions.New = func() any { return NewSession(h.cfg) }
	return h
}

// InboundLimit returns the most unconsumed input a connection can need:
// a bound for reactor.Server.MaxInbound.
func (h *ServerHandler) InboundLimit() int { return h.cfg.MaxRequestBytes() }

// OnOpen attaches a session to c.
func (h *ServerHandler) OnOpen(c *reactor.Conn) {
	s := h.sessions.Get().(*Session)
	s.Reset()
	s.RemoteAddr = c.RemoteAddr()
	c.SetContext(s)
}

// outBufs recycles response buffers between OnData calls.
var outBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// OnData serves the complete requests in c's buffer and queues the responses.
func (h *ServerHandler) OnData(c *reactor.Conn) {
	s, ok := c.Context().(*Session)
	if !ok {
		return
	}
	bp := outBufs.Get().(*[]byte)
	n, out, closeAfter := s.Process(c.Peek(0), (*bp)[:0])
	c.Discard(n)
	if len(out) > 0 {
		if _, err := c.Write(out); err != nil {
			closeAfter = true
		}
	}
	if cap(out) <= 1<<20 {
		*bp = out[:0]
		outBufs.Put(bp)
	}
	if closeAfter {
		c.Close()
	}
}

// OnClose returns c's session to the pool.
func (h *ServerHandler) OnClose(c *reactor.Conn, err error) {
	if s, ok := c.Context().(*Session); ok {
		c.SetContext(nil)
		s.Reset()
		h.sessions.Put(s)
	}
}
