package sim_test

import (
	"testing"

	"github.com/eventpoll/eventpoll/eventpolltest"
	"github.com/eventpoll/eventpoll/sim"
)

// TestConformance runs the conformance suite that Linux epoll passes
// against the simulated kernel: TestConformance/sim/<case>.
func TestConformance(t *testing.T) {
	t.Run("sim", func(t *testing.T) {
		eventpolltest.Run(t, sim.New(sim.Config{}), "sim")
	})
}
