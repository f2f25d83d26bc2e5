package reactor

import (
	"cmp"
	"errors"
	"log/slog"

	"github.com/eventpoll/eventpoll"
)

// fallbackBackend returns backend, or eventpoll.DefaultBackend with one log
// line saying why when the system cannot provide backend (New fails with
// eventpoll.ErrUnavailable: io_uring under seccomp, with
// kernel.io_uring_disabled set, or on a kernel without the operations it
// needs). Any other error is left for the loops to report.
func fallbackBackend(k eventpoll.Kernel, backend string, log *slog.Logger) string {
	if backend == "" || backend == eventpoll.DefaultBackend {
		return backend
	}
	p, err := k.NewPoller(backend)
	if err == nil {
		p.Close()
		return backend
	}
	if !errors.Is(err, eventpoll.ErrUnavailable) {
		return backend
	}
	log.Warn("reactor: backend unavailable, falling back", "backend", backend, "fallback", eventpoll.DefaultBackend, "err", err)
	return eventpoll.DefaultBackend
}

// completionFallback reports whether the completion engine can serve the
// configuration. When it cannot, it logs one line saying why and points
// c.backend at a readiness backend (eventpoll.DefaultBackend when the
// configured one is io_uring, which needs what the engine lacked).
func completionFallback(c *config) bool {
	var why error
	switch {
	case c.k != eventpoll.Host():
		why = errors.New("the completion engine runs on the host kernel only")
	case c.tlsServer != nil || c.tlsClient != nil:
		why = errors.New("TLS runs on the readiness engine only")
	default:
		why = completionUnavailable()
	}
	if why == nil {
		return true
	}
	if c.backend == "io_uring" {
		c.backend = eventpoll.DefaultBackend
	}
	c.log.Warn("reactor: completion engine unavailable, falling back", "engine", EngineCompletion, "fallback", EngineReadiness, "backend", cmp.Or(c.backend, eventpoll.DefaultBackend), "err", why)
	return false
}
