package http1

import (
	"sync"
	"time"

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
	h := &ServerHandler{cfg: cfg.withDefaults()}
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

// OnOpen attaches a session to c, sets its idle timeout and starts the
// first request's ReadTimeout.
func (h *ServerHandler) OnOpen(c *reactor.Conn) {
	h.Pipeline.OnOpen(c)
	if h.cfg.IdleTimeout > 0 {
		c.SetIdleTimeout(h.cfg.IdleTimeout)
	}
	h.timeRequests(c)
}

// timeRequests keeps c's deadline at ReadTimeout after the start of the
// request being received: a new deadline when a request completed (or the
// connection opened), none while nothing is buffered (IdleTimeout governs
// then), and the same one while bytes trickle in without completing one.
func (h *ServerHandler) timeRequests(c *reactor.Conn) {
	s, ok := reactor.PipelineSessionOf(c).(*Session)
	if !ok || h.cfg.ReadTimeout <= 0 {
		return
	}
	progressed := s.served != s.servedSeen
	s.servedSeen = s.served
	switch {
	case c.Buffered() == 0 && s.served > 0:
		if s.timing {
			c.SetDeadline(time.Time{})
			s.timing = false
		}
	case progressed || !s.timing:
		c.SetDeadline(c.Loop().Now().Add(h.cfg.ReadTimeout))
		s.timing = true
	}
}
