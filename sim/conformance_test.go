package sim_test

import (
	"testing"

	"github.com/eventpoll/eventpoll/eventpolltest"
	"github.com/eventpoll/eventpoll/sim"
)

// TestConformance runs the conformance suite that Linux epoll passes
// against the simulated kernel: TestConformance/sim/<case>, and against
// eventpoll's kqueue backend over the simulated kqueue:
// TestConformance/sim-kqueue/<case>.
func TestConformance(t *testing.T) {
	t.Run("sim", func(t *testing.T) {
		eventpolltest.Run(t, sim.New(sim.Config{}), "sim")
	})
	t.Run("sim-kqueue", func(t *testing.T) {
		eventpolltest.Run(t, sim.New(sim.Config{}), "kqueue")
	})
}
