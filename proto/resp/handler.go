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

// OnOpen attaches a session to c.
func (h *Handler) OnOpen(c *reactor.Conn) {
	s := h.sessions.Get().(*Session)
	s.Reset()
	c.SetContext(s)
}

// outBufs recycles reply buffers between OnData calls.
var outBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// OnData executes the complete commands in c's buffer and queues the replies.
func (h *Handler) OnData(c *reactor.Conn) {
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
func (h *Handler) OnClose(c *reactor.Conn, err error) {
	if s, ok := c.Context().(*Session); ok {
		c.SetContext(nil)
		s.Reset()
		h.sessions.Put(s)
	}
}

// sweepDefault is the sweeper period when Config.SweepInterval is 0.
const sweepDefault = 100 * time.Millisecond
