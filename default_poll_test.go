//go:build netbsd || openbsd

package eventpoll_test

import (
	"errors"
	"testing"

	"github.com/eventpoll/eventpoll"
)

// TestHostDefaultPoll: where the kqueue backend is not registered, poll is
// the default: New("") and Host().NewPoller("") make a poll Poller, and
// New("kqueue") fails with ErrUnknownBackend.
func TestHostDefaultPoll(t *testing.T) {
	if eventpoll.DefaultBackend != "poll" {
		t.Fatalf("DefaultBackend = %q, want poll", eventpoll.DefaultBackend)
	}
	p, err := eventpoll.Host().NewPoller("")
	if err != nil {
		t.Fatalf("Host().NewPoller: %v", err)
	}
	defer p.Close()
	if b := p.Backend(); b != "poll" {
		t.Fatalf("Backend() = %q, want poll", b)
	}
	if _, err := eventpoll.New("kqueue"); !errors.Is(err, eventpoll.ErrUnknownBackend) {
		t.Fatalf("New(kqueue) = %v, want ErrUnknownBackend", err)
	}
}
