//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventpoll_test

import (
	"testing"

	"github.com/eventpoll/eventpoll"
)

// TestHostDefaultKqueue: kqueue is the default on darwin and the BSDs (on
// NetBSD and OpenBSD it wakes through a pipe, since x/sys/unix has no
// EVFILT_USER there): New("") and Host().NewPoller("") make a kqueue
// Poller, which a Wake ends the Wait of.
func TestHostDefaultKqueue(t *testing.T) {
	if eventpoll.DefaultBackend != "kqueue" {
		t.Fatalf("DefaultBackend = %q, want kqueue", eventpoll.DefaultBackend)
	}
	p, err := eventpoll.Host().NewPoller("")
	if err != nil {
		t.Fatalf("Host().NewPoller: %v", err)
	}
	defer p.Close()
	if b := p.Backend(); b != "kqueue" {
		t.Fatalf("Backend() = %q, want kqueue", b)
	}
	if err := p.Wake(); err != nil {
		t.Fatal(err)
	}
	if n, err := p.Wait(make([]eventpoll.Event, 1), -1); n != 0 || err != nil {
		t.Fatalf("Wait after Wake = %d, %v; want 0, nil", n, err)
	}
}
