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
	// Pipeline runs each connection's requests (OnOpen, OnData, OnWritable,
	// OnReadHangup, OnClose): responses are built only while the
	// connection's queued output is within Server.WriteHighWater.
	reactor.Pipeline
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
	h.Pipeline = reactor.Pipeline{NewSession: h.newSession, EndSession: h.endSession}
	return h
}

// InboundLimit returns the most unconsumed input a connection can need:
// a bound for reactor.Server.MaxInbound.
func (h *ServerHandler) InboundLimit() int { return h.cfg.MaxRequestBytes() }

// newSession hands a reset pooled session to a new connection.
func (h *ServerHandler) newSession(c *reactor.Conn) reactor.PipelineSession {
	s := h.sessions.Get().(*Session)
	s.Reset()
	s.RemoteAddr = c.RemoteAddr()
	return s
}

// endSession returns a closed connection's session to the pool.
func (h *ServerHandler) endSession(_ *reactor.Conn, s reactor.PipelineSession, _ error) {
	if s, ok := s.(*Session); ok {
		s.Reset()
		h.sessions.Put(s)
	}
}
