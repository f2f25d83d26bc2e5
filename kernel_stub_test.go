//go:build !darwin && !dragonfly && !freebsd && !linux && !netbsd && !openbsd

package eventpoll_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/eventpoll/eventpoll"
)

// TestHostUnsupported: where Host is a placeholder, New and Host
// fail with an error that matches errors.ErrUnsupported and names the platform.
func TestHostUnsupported(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if _, err := eventpoll.New(""); !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), platform) {
		t.Fatalf("New(\"\") = %v, want ErrUnsupported naming %s", err, platform)
	}
	if _, err := eventpoll.Host().NewPoller(""); !errors.Is(err, eventpoll.ErrHostUnsupported) {
		t.Fatalf("Host().NewPoller = %v, want ErrHostUnsupported", err)
	}
	if _, err := eventpoll.Host().Listen("tcp", "127.0.0.1:0", eventpoll.ListenOptions{}); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Host().Listen = %v, want ErrUnsupported", err)
	}
}
