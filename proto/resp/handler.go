package resp

import (
	"cmp"
	"sync"
	"time"

	"github.com/eventpoll/eventpoll/reactor"
)

// Handler serves RESP on a reactor.Server: each connection gets a pooled
// Session kept in its Conn.Context, and all sessions share one Store.
//
// The reactor closes a connection that leaves more than Server.MaxInbound
// bytes unconsumed; a session never needs more than Limits.MaxQueryBuffer +
// Limits.MaxInlineLen (InboundLimit). Set MaxInbound to at least that for
// the client to get the error reply instead of a bare close, or lower
// MaxQueryBuffer (and MaxBulkLen) below MaxInbound.
type Handler struct {
	// Pipeline runs each connection's commands (OnOpen, OnData, OnWritable,
	// OnReadHangup, OnClose): replies are built only while the connection's
	// queued output is within Server.WriteHighWater.
	reactor.Pipeline
	cfg      Config
	sessions sync.Pool
	stop     func()
}

// NewHandler returns a Handler for cfg (a new Store when cfg.Store is nil)
// and starts the store's expiry sweeper unless cfg.SweepInterval < 0. Call
// Close to stop the sweeper.
func NewHandler(cfg Config) *Handler {
	if cfg.Store == nil {
		cfg.Store = NewStore()
	}
	h := &Handler{cfg: cfg, stop: func() {}}
	if cfg.SweepInterval >= 0 {
		h.stop = cfg.Store.StartSweeper(cmp.Or(cfg.SweepInterval, sweepDefault))
	}
	h.sessions.New = func() any { return NewSession(h.cfg) }
	h.Pipeline = reactor.Pipeline{NewSession: h.newSession, EndSession: h.endSession}
	return h
}

// Store returns the key space the handler serves.
func (h *Handler) Store() *Store { return h.cfg.Store }

// InboundLimit returns the most unconsumed input a connection can need:
// a bound for reactor.Server.MaxInbound.
func (h *Handler) InboundLimit() int {
	l := h.cfg.Limits.withDefaults()
	return l.MaxQueryBuffer + l.MaxInlineLen
}

// Close stops the expiry sweeper. The Store stays usable.
func (h *Handler) Close() error {
	h.stop()
	return nil
}

// newSession hands a reset pooled session to a new connection.
func (h *Handler) newSession(*reactor.Conn) reactor.PipelineSession {
	s := h.sessions.Get().(*Session)
	s.Reset()
	return s
}

// endSession returns a closed connection's session to the pool.
func (h *Handler) endSession(_ *reactor.Conn, s reactor.PipelineSession, _ error) {
	if s, ok := s.(*Session); ok {
		s.Reset()
		h.sessions.Put(s)
	}
}

// sweepDefault is the sweeper period when Config.SweepInterval is 0.
const sweepDefault = 100 * time.Millisecond
