//go:build linux

package eventpolltest_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/eventpolltest"
)

// A mutant is the epoll backend with one rule deliberately broken. The suite
// must catch every mutant: TestMutants runs the named cases against it in a
// child process and requires each of them to fail.
type mutant struct {
	name     string
	mustFail []string
	// The broken methods; nil ones pass through to the real poller.
	add   func(p ep.Poller, fd int, e ep.Events, data uint64) error
	wait  func(p ep.Poller, evs []ep.Event, d time.Duration) (int, error)
	wake  func(p ep.Poller) error
	del   func(p ep.Poller, fd int) error
	modif func(p ep.Poller, fd int, e ep.Events, data uint64) error
}

var mutants = []mutant{
	{
		name:     "level-only",
		mustFail: []string{"EdgeTriggeredPipe", "EdgeWritableOnce", "TwoWaitersEdge"},
		add: func(p ep.Poller, fd int, e ep.Events, data uint64) error {
			return p.Add(fd, e&^ep.EdgeTriggered, data)
		},
	},
	{
		name:     "no-oneshot",
		mustFail: []string{"OneShotOnce", "OneShotNoHangupWhenDisabled"},
		add: func(p ep.Poller, fd int, e ep.Events, data uint64) error {
			return p.Add(fd, e&^ep.OneShot, data)
		},
	},
	{
		name:     "data-truncated",
		mustFail: []string{"DataRoundTrip"},
		add: func(p ep.Poller, fd int, e ep.Events, data uint64) error {
			return p.Add(fd, e, data&0xffffffff)
		},
	},
	{
		name:     "modify-keeps-data",
		mustFail: []string{"AddModifyDelete", "ModifyRepollsEdge"},
		modif: func(p ep.Poller, fd int, e ep.Events, data uint64) error {
			if err := p.Delete(fd); err != nil {
				return err
			}
			return p.Add(fd, e, 1) // wrong data
		},
	},
	{
		name:     "add-twice-ok",
		mustFail: []string{"AddTwiceEEXIST"},
		add: func(p ep.Poller, fd int, e ep.Events, data uint64) error {
			if err := p.Add(fd, e, data); err != nil {
				return p.Modify(fd, e, data)
			}
			return nil
		},
	},
	{
		name:     "delete-noop",
		mustFail: []string{"DeleteStopsEvents", "DeleteWhileWaiting"},
		del:      func(ep.Poller, int) error { return nil },
	},
	{
		name:     "wake-noop",
		mustFail: []string{"WakeBeforeWait", "WakeInterruptsWait"},
		wake:     func(ep.Poller) error { return nil },
	},
	{
		name:     "wake-sticky",
		mustFail: []string{"WakesCollapse", "WakeConsumedBlocksAgain"},
		wait: func(p ep.Poller, evs []ep.Event, d time.Duration) (int, error) {
			n, err := p.Wait(evs, d)
			if n == 0 && err == nil {
				_ = p.Wake() // a wake-up that never goes away
			}
			return n, err
		},
	},
	{
		name:     "early-timeout",
		mustFail: []string{"TimeoutPositive", "TimeoutUnderLoad"},
		wait: func(p ep.Poller, evs []ep.Event, d time.Duration) (int, error) {
			if d > 0 {
				d /= 2
			}
			return p.Wait(evs, d)
		},
	},
	{
		name:     "hangup-dropped",
		mustFail: []string{"PipeHangup", "HangupAlwaysReported", "TCPReset"},
		wait: func(p ep.Poller, evs []ep.Event, d time.Duration) (int, error) {
			n, err := p.Wait(evs, d)
			for i := range evs[:n] {
				evs[i].Events &^= ep.Hangup
			}
			return n, err
		},
	},
	{
		name:     "no-rotation",
		mustFail: []string{"RotationOneSlot", "RotationFairness"},
		wait: func(p ep.Poller, evs []ep.Event, d time.Duration) (int, error) {
			// Always report the lowest data values first.
			buf := make([]ep.Event, 64)
			n, err := p.Wait(buf, d)
			buf = buf[:n]
			slices.SortFunc(buf, func(a, b ep.Event) int {
				if a.Data < b.Data {
					return -1
				}
				if a.Data > b.Data {
					return 1
				}
				return 0
			})
			return copy(evs, buf), err
		},
	},
	{
		name:     "closed-wait-ok",
		mustFail: []string{"CloseDuringWait", "ClosedWait"},
		wait: func(p ep.Poller, evs []ep.Event, d time.Duration) (int, error) {
			n, err := p.Wait(evs, d)
			if err != nil {
				return 0, nil
			}
			return n, err
		},
	},
}

const mutantEnv = "EVENTPOLLTEST_MUTANT"

// TestMutants checks that the suite can fail: each mutant's chosen cases must
// fail when run against it.
func TestMutants(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("running as a mutant child")
	}
	if !slices.Contains(ep.Backends(), "epoll") {
		t.Skip("no epoll backend")
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			pattern := "^TestMutantChild$/^(" + strings.Join(m.mustFail, "|") + ")$"
			cmd := exec.Command(os.Args[0], "-test.run="+pattern, "-test.count=1", "-test.v", "-test.timeout=60s")
			cmd.Env = append(os.Environ(), mutantEnv+"="+m.name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed against mutant %s:\n%s", m.name, out)
			}
			for _, c := range m.mustFail {
				if !strings.Contains(string(out), "--- FAIL: TestMutantChild/"+c+" ") {
					t.Errorf("case %s did not fail against mutant %s:\n%s", c, m.name, out)
				}
			}
		})
	}
}

// TestMutantChild runs the suite against the mutant named by the environment
// (only as a child of TestMutants).
func TestMutantChild(t *testing.T) {
	name := os.Getenv(mutantEnv)
	if name == "" {
		t.Skip("run by TestMutants")
	}
	i := slices.IndexFunc(mutants, func(m mutant) bool { return m.name == name })
	if i < 0 {
		t.Fatalf("unknown mutant %q", name)
	}
	k := mutantKernel{Kernel: ep.Host(), m: &mutants[i]}
	eventpolltest.RunTarget(t, eventpolltest.Target{Kernel: k, Backend: "epoll", Caps: eventpolltest.DefaultCaps("epoll")})
}

// mutantKernel is the host kernel whose pollers are mutants.
type mutantKernel struct {
	ep.Kernel
	m *mutant
}

func (k mutantKernel) NewPoller(backend string) (ep.Poller, error) {
	p, err := k.Kernel.NewPoller(backend)
	if err != nil {
		return nil, err
	}
	return mutantPoller{Poller: p, m: k.m}, nil
}

type mutantPoller struct {
	ep.Poller
	m *mutant
}

func (p mutantPoller) Add(fd int, e ep.Events, data uint64) error {
	if p.m.add != nil {
		return p.m.add(p.Poller, fd, e, data)
	}
	return p.Poller.Add(fd, e, data)
}

func (p mutantPoller) Modify(fd int, e ep.Events, data uint64) error {
	if p.m.modif != nil {
		return p.m.modif(p.Poller, fd, e, data)
	}
	return p.Poller.Modify(fd, e, data)
}

func (p mutantPoller) Delete(fd int) error {
	if p.m.del != nil {
		return p.m.del(p.Poller, fd)
	}
	return p.Poller.Delete(fd)
}

func (p mutantPoller) Wait(evs []ep.Event, d time.Duration) (int, error) {
	if p.m.wait != nil {
		return p.m.wait(p.Poller, evs, d)
	}
	return p.Poller.Wait(evs, d)
}

func (p mutantPoller) Wake() error {
	if p.m.wake != nil {
		return p.m.wake(p.Poller)
	}
	return p.Poller.Wake()
}
