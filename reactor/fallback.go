package reactor

import (
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
