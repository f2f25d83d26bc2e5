//go:build netbsd || openbsd

package eventpoll_test

import (
	"errors"
	"testing"

	"github.com/eventpoll/eventpoll"
)

// TestHostWithoutBackend: where no backend is registered, New and
// Host().NewPoller fail with ErrHostUnsupported, while Host's I/O calls work.
func TestHostWithoutBackend(t *testing.T) {
	if _, err := eventpoll.Host().NewPoller(""); !errors.Is(err, eventpoll.ErrHostUnsupported) {
		t.Fatalf("Host().NewPoller = %v, want ErrHostUnsupported", err)
	}
	k := eventpoll.Host()
	fd, err := k.Listen("tcp4", "127.0.0.1:0", eventpoll.ListenOptions{})
	if err != nil {
		t.Fatalf("Host().Listen: %v", err)
	}
	k.Close(fd)
}
