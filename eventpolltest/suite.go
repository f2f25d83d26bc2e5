// Package eventpolltest is a conformance suite for eventpoll.Poller
// implementations.
//
// Run executes every case against one backend of one Kernel as subtests
// named <case>, so that a caller's test reads TestConformance/<backend>/<case>.
// Every backend gets the same case names; a case that cannot apply to a
// backend is skipped with the reason. The suite reaches the operating system
// only through the eventpoll.Kernel seam (pipes, socket pairs, TCP over
// loopback, read, write, shutdown, close, reset), so a simulated kernel runs
// the same cases as Linux.
//
// The cases follow the readiness model of Linux epoll: the interest list is
// registered once, Wait returns only what is ready, level-triggered
// registrations report for as long as the fd is ready, edge-triggered ones
// report a change once, one-shot ones report once and stay registered but
// disabled until Modify re-arms them, and error and hangup are always
// reported. Where a backend emulates edge triggering in user space (poll,
// select), the cases assert only the common ground: a ready fd yields an
// event, no new activity on an undrained fd yields none, and new data after
// draining to EAGAIN yields one.
//
// A Kernel's own tests run the suite once per backend, so that every case
// is named TestConformance/<backend>/<case>:
//
//	func TestConformance(t *testing.T) {
//		t.Run("sim", func(t *testing.T) {
//			eventpolltest.Run(t, sim.New(sim.Config{}), "sim")
//		})
//	}
//
// RunTarget takes explicit Caps for a backend DefaultCaps does not know.
// Descriptors and pollers a case creates are closed when it ends; the cases
// measure time with the Kernel's clock (Kernel.Now), so a kernel with a
// virtual clock reports virtual elapsed times.
package eventpolltest

import (
	"runtime"
	"testing"

	ep "github.com/eventpoll/eventpoll"
)

// Caps describes what a backend promises beyond the behaviour shared by all
// backends. Cases that depend on a capability are skipped, with the reason,
// where it is absent.
type Caps struct {
	// Exclusive: Add accepts the Exclusive mode. Without it, Add with
	// Exclusive must fail with eventpoll.ErrUnsupported.
	Exclusive bool
	// FDLimit, when positive, is the first fd number the backend refuses
	// with eventpoll.ErrFDTooLarge (select: eventpoll.FDSetSize).
	FDLimit int
	// KernelEpoll: the backend has the exact semantics of a kernel eventpoll.
	// Edge triggering is the kernel's (one edge wakes one of several waiters
	// and is delivered once), and a registration is keyed by the fd and its
	// open file, so closing one of two descriptors of a file leaves the
	// registration alive.
	KernelEpoll bool
	// KernelEdge: edge triggering is the kernel's (epoll, kqueue's EV_CLEAR):
	// one edge wakes one of several waiters and is delivered once, even
	// where registrations are keyed by fd number (kqueue). KernelEpoll
	// implies it.
	KernelEdge bool
	// ReadHangup: ReadHangup is reported when the peer shuts down only its
	// writing side (eventpoll.Capabilities.ReadHangup; not on poll and
	// select on darwin and most BSDs, whose poll(2) has no POLLRDHUP).
	// Without it the cases about a peer's write shutdown check what is
	// documented instead (Readable, a read returns 0, no Hangup) and are
	// then skipped with the reason.
	ReadHangup bool
}

// DefaultCaps returns the capabilities of the backends this module knows:
// "epoll" and "sim" are kernel eventpolls, "kqueue" has the kernel's edge
// triggering but keys registrations by fd number, "select" refuses fds >=
// eventpoll.FDSetSize; all of these and "poll" and "io_uring" report
// ReadHangup for a peer's write shutdown, poll and select on Linux only
// (elsewhere it depends on the kernel: eventpoll.Capabilities.ReadHangup).
// Every other backend gets the shared behaviour only.
func DefaultCaps(backend string) Caps {
	linux := runtime.GOOS == "linux"
	switch backend {
	case "epoll", "sim":
		return Caps{Exclusive: true, KernelEpoll: true, KernelEdge: true, ReadHangup: true}
	case "kqueue":
		return Caps{KernelEdge: true, ReadHangup: true}
	case "select":
		return Caps{FDLimit: ep.FDSetSize, ReadHangup: linux}
	case "poll", "io_uring":
		return Caps{ReadHangup: linux}
	default:
		return Caps{}
	}
}

// Target is what the suite runs against: a Kernel, the backend name passed to
// its NewPoller, and the backend's capabilities.
type Target struct {
	Kernel  ep.Kernel
	Backend string
	Caps    Caps
}

// Run runs every case against the backend of k with the capabilities its
// Poller reports (CapsOf).
func Run(t *testing.T, k ep.Kernel, backend string) {
	RunTarget(t, Target{Kernel: k, Backend: backend, Caps: CapsOf(k, backend)})
}

// CapsOf creates a Poller of the backend on k and translates the
// eventpoll.Capabilities it reports; a Poller that reports none, or that
// cannot be created, gets DefaultCaps(backend).
func CapsOf(k ep.Kernel, backend string) Caps {
	p, err := k.NewPoller(backend)
	if err != nil {
		return DefaultCaps(backend)
	}
	defer p.Close()
	if _, ok := p.(ep.Capable); !ok {
		return DefaultCaps(backend)
	}
	c := ep.CapabilitiesOf(p)
	return Caps{Exclusive: c.Exclusive, FDLimit: c.FDLimit, KernelEpoll: c.KernelEdge && c.KeyedByFile, KernelEdge: c.KernelEdge, ReadHangup: c.ReadHangup}
}

// RunTarget runs every case against target, each as a subtest of t named
// after the case. Most cases run in parallel with each other; the few that
// need the process's fd numbering to themselves (closed-fd checks, fds above
// 1024) or that load the CPU run first, one at a time.
func RunTarget(t *testing.T, target Target) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.parallel {
				t.Parallel()
			}
			c.fn(newFixture(t, target))
		})
	}
}

// Names returns the case names in the order Run runs them.
func Names() []string {
	names := make([]string, len(cases))
	for i, c := range cases {
		names[i] = c.name
	}
	return names
}

// testCase is one conformance case.
type testCase struct {
	name     string
	parallel bool
	fn       func(f *fixture)
}

// cases lists every case; the tables live in the cases_*.go files.
var cases = concat(
	registrationCases,
	closedCases,
	triggerCases,
	oneShotCases,
	hangupCases,
	tcpCases,
	timeoutCases,
	wakeCases,
	rotationCases,
	lifecycleCases,
	concurrencyCases,
	waiterCases,
	nestingCases,
	[]testCase{closeRaces},
	exclusiveCases,
)

func concat(lists ...[]testCase) []testCase {
	var all []testCase
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// par and seq build parallel and sequential cases.
func par(name string, fn func(f *fixture)) testCase { return testCase{name, true, fn} }
func seq(name string, fn func(f *fixture)) testCase { return testCase{name, false, fn} }
