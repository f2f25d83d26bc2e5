package eventpoll_test

import (
	"errors"
	"testing"

	"github.com/eventpoll/eventpoll"
)

// skipUnavailable skips t when the running system cannot provide backend
// (New fails with ErrUnavailable, as io_uring does under seccomp or with
// kernel.io_uring_disabled set), naming the cause.
func skipUnavailable(t *testing.T, backend string) {
	t.Helper()
	p, err := eventpoll.New(backend)
	if errors.Is(err, eventpoll.ErrUnavailable) {
		t.Skipf("backend %s unavailable here: %v", backend, err)
	}
	if err == nil {
		p.Close()
	}
}
