package eventpoll_test

import (
	"os"
	"testing"

	"github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/eventpolltest"
)

// TestConformance runs the conformance suite against every registered
// backend on the host kernel: TestConformance/<backend>/<case>. Afterwards
// no descriptor the suite opened may remain open.
func TestConformance(t *testing.T) {
	backends := eventpoll.Backends()
	if len(backends) == 0 {
		t.Fatal("no backend registered")
	}
	before := openFDs(t)
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			skipUnavailable(t, b)
			eventpolltest.Run(t, eventpoll.Host(), b)
		})
	}
	if after := openFDs(t); before != nil && after != nil {
		for fd, target := range after {
			if _, ok := before[fd]; !ok {
				t.Errorf("fd %s (%s) left open by the suite", fd, target)
			}
		}
	}
}

// openFDs lists this process's open descriptors and what they refer to, or
// returns nil where /proc is not available.
func openFDs(t *testing.T) map[string]string {
	t.Helper()
	// Start the runtime's poller first so its descriptors are counted before.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Logf("no fd leak check: %v", err)
		return nil
	}
	fds := make(map[string]string, len(entries))
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory's own descriptor, closed by now
		}
		fds[e.Name()] = target
	}
	return fds
}
