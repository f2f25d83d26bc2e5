package eventpoll_test

import (
	"testing"

	"github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/eventpolltest"
)

// TestConformance runs the conformance suite against every registered
// backend on the host kernel: TestConformance/<backend>/<case>.
func TestConformance(t *testing.T) {
	backends := eventpoll.Backends()
	if len(backends) == 0 {
		t.Fatal("no backend registered")
	}
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			eventpolltest.Run(t, eventpoll.Host(), b)
		})
	}
}
