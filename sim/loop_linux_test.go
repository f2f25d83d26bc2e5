package sim_test

import (
	"errors"
	"fmt"
	"testing"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/sim"
	"golang.org/x/sys/unix"
)

// linuxGraph and simGraph build graphs of eventpolls on Linux (raw fds)
// and on sim, so that the result of each link can be compared.
type linuxGraph struct{ fds []int }

func newLinuxGraph(n int) (*linuxGraph, error) {
	g := &linuxGraph{}
	for range n {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			g.close()
			return nil, err
		}
		g.fds = append(g.fds, fd)
	}
	return g, nil
}

func (g *linuxGraph) add(p, c int) error {
	return unix.EpollCtl(g.fds[p], unix.EPOLL_CTL_ADD, g.fds[c], &unix.EpollEvent{Events: unix.EPOLLIN})
}

func (g *linuxGraph) close() {
	for _, fd := range g.fds {
		unix.Close(fd)
	}
}

type simGraph struct{ ps []*sim.Poller }

func newSimGraph(n int) *simGraph {
	k := sim.New(sim.Config{})
	g := &simGraph{}
	for range n {
		p, _ := k.NewPoller("")
		g.ps = append(g.ps, p.(*sim.Poller))
	}
	return g
}

func (g *simGraph) add(p, c int) error { return g.ps[p].Add(g.ps[c].FD(), ep.Readable, 0) }
func (g *simGraph) close() {
	for _, p := range g.ps {
		p.Close()
	}
}

// TestLoopCheckMatchesLinux builds the same graphs of eventpolls on both
// kernels (chains grown downwards, upwards and joined in the middle,
// cycles, diamonds) and requires the same result for every link.
func TestLoopCheckMatchesLinux(t *testing.T) {
	graphs := map[string][][2]int{
		"down":    {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}},
		"up":      {{6, 7}, {5, 6}, {4, 5}, {3, 4}, {2, 3}, {1, 2}, {0, 1}},
		"middle":  {{0, 1}, {1, 2}, {3, 4}, {4, 5}, {2, 3}, {5, 6}, {1, 3}},
		"cycle":   {{0, 1}, {1, 2}, {2, 0}, {1, 0}, {2, 1}},
		"diamond": {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}, {4, 5}, {3, 0}},
		"fan":     {{0, 1}, {0, 2}, {0, 3}, {1, 4}, {4, 5}, {5, 6}, {2, 5}, {6, 7}},
	}
	for name, links := range graphs {
		lg, err := newLinuxGraph(8)
		if err != nil {
			t.Skipf("epoll_create1: %v", err)
		}
		sg := newSimGraph(8)
		for _, l := range links {
			a, b := lg.add(l[0], l[1]), sg.add(l[0], l[1])
			if (a == nil) != (b == nil) || (a != nil && !errors.Is(b, a)) {
				t.Errorf("%s: link %d->%d: linux %v, sim %v", name, l[0], l[1], a, b)
			} else if testing.Verbose() {
				t.Logf("%s: link %d->%d: %v", name, l[0], l[1], fmt.Sprint(a))
			}
		}
		lg.close()
		sg.close()
	}
}
