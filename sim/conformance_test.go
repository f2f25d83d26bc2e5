package sim_test

import (
	"testing"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/eventpolltest"
	"github.com/eventpoll/eventpoll/sim"
)

// TestConformance runs the conformance suite that Linux epoll passes
// against the simulated kernel: TestConformance/sim/<case>; against
// eventpoll's kqueue backend over the simulated kqueue:
// TestConformance/sim-kqueue/<case>; and against the same backend over a
// simulated kqueue that lacks what OpenBSD's (EVFILT_USER) and NetBSD's
// (also EV_RECEIPT and EV_DISPATCH) lack through golang.org/x/sys/unix:
// TestConformance/sim-kqueue-openbsd/<case>, .../sim-kqueue-netbsd/<case>.
func TestConformance(t *testing.T) {
	t.Run("sim", func(t *testing.T) {
		eventpolltest.Run(t, sim.New(sim.Config{}), "sim")
	})
	t.Run("sim-kqueue", func(t *testing.T) {
		eventpolltest.Run(t, sim.New(sim.Config{}), "kqueue")
	})
	for _, variant := range []string{"kqueue-openbsd", "kqueue-netbsd"} {
		t.Run("sim-"+variant, func(t *testing.T) {
			eventpolltest.Run(t, limitedKqueue{sim.New(sim.Config{}), variant}, "kqueue")
		})
	}
}

// limitedKqueue is a simulated kernel whose "kqueue" backend is one of its
// limited variants (its Backend is still "kqueue").
type limitedKqueue struct {
	*sim.Kernel
	variant string
}

func (k limitedKqueue) NewPoller(backend string) (ep.Poller, error) {
	if backend == "kqueue" {
		backend = k.variant
	}
	return k.Kernel.NewPoller(backend)
}
