package sim_test

import (
	"testing"

	"github.com/eventpoll/eventpoll/reactor"
)

// TestReactorKqueue runs the reactor with two loops on eventpoll's kqueue
// backend over the simulated kqueue, and over the one that lacks what
// NetBSD's lacks (wake pipe, no EV_RECEIPT, no EV_DISPATCH), in both trigger
// modes, against sixteen client drivers at once (short reads and writes,
// half-closes, resets): the backend under a real event loop, and under
// -race its locking.
func TestReactorKqueue(t *testing.T) {
	for _, backend := range []string{"kqueue", "kqueue-netbsd"} {
		for _, trig := range []reactor.Trigger{reactor.Edge, reactor.Level} {
			t.Run(backend+"/"+trig.String(), func(t *testing.T) { freeRunningEcho(t, 11, backend, trig, 16, 300) })
		}
	}
}
