package eventpolltest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// Durations used by the cases. quiet is how long a Wait must stay silent for
// "no event" to hold; patience bounds how long a case waits for something
// that must happen (never reached when the backend is right).
const (
	quiet    = 50 * time.Millisecond
	patience = 5 * time.Second
)

// fixture owns the descriptors and pollers one case creates and releases
// them when the case ends: pollers first, then descriptors.
type fixture struct {
	t      *testing.T
	k      ep.Kernel
	target Target

	mu      sync.Mutex
	fds     map[int]struct{}
	pollers []ep.Poller
}

func newFixture(t *testing.T, target Target) *fixture {
	f := &fixture{t: t, k: target.Kernel, target: target, fds: map[int]struct{}{}}
	t.Cleanup(f.release)
	return f
}

func (f *fixture) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pollers {
		_ = p.Close()
	}
	f.pollers = nil
	for fd := range f.fds {
		_ = f.k.Close(fd)
	}
	clear(f.fds)
}

// track makes fd the fixture's to close.
func (f *fixture) track(fd int) int {
	f.mu.Lock()
	f.fds[fd] = struct{}{}
	f.mu.Unlock()
	return fd
}

// untrack forgets fd (the case closed it or handed it on).
func (f *fixture) untrack(fd int) {
	f.mu.Lock()
	delete(f.fds, fd)
	f.mu.Unlock()
}

// check fails the case at once on an unexpected error.
func (f *fixture) check(err error, format string, args ...any) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
	}
}

// wantErr fails the case unless err matches every target with errors.Is.
func (f *fixture) wantErr(err error, what string, targets ...error) {
	f.t.Helper()
	if err == nil {
		f.t.Fatalf("%s: got nil error, want %v", what, targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			f.t.Fatalf("%s: got %v, want an error matching %v (all of %v)", what, err, target, targets)
		}
	}
}

// poller creates a Poller of the target's backend, closed when the case ends.
func (f *fixture) poller() ep.Poller {
	f.t.Helper()
	p, err := f.k.NewPoller(f.target.Backend)
	f.check(err, "NewPoller(%q)", f.target.Backend)
	f.mu.Lock()
	f.pollers = append(f.pollers, p)
	f.mu.Unlock()
	return p
}

// pipe returns a new pipe's read and write ends.
func (f *fixture) pipe() (r, w int) {
	f.t.Helper()
	r, w, err := f.k.Pipe()
	f.check(err, "Pipe")
	return f.track(r), f.track(w)
}

// readyPipe returns a pipe whose read end holds n bytes.
func (f *fixture) readyPipe(n int) (r, w int) {
	f.t.Helper()
	r, w = f.pipe()
	f.write(w, bytes.Repeat([]byte{'x'}, n))
	return r, w
}

// socketpair returns two connected stream sockets.
func (f *fixture) socketpair() (a, b int) {
	f.t.Helper()
	a, b, err := f.k.Socketpair()
	f.check(err, "Socketpair")
	return f.track(a), f.track(b)
}

// listen opens a TCP listener on an ephemeral loopback port.
func (f *fixture) listen() (ln int, addr string) {
	f.t.Helper()
	ln, err := f.k.Listen("tcp4", "127.0.0.1:0", ep.ListenOptions{})
	f.check(err, "Listen tcp4 127.0.0.1:0")
	f.track(ln)
	a, err := f.k.LocalAddr(ln)
	f.check(err, "LocalAddr")
	return ln, a.String()
}

// tcpPair returns both ends of an established loopback TCP connection: the
// connecting side and the accepted side. It waits for both with a helper
// poller of the target's backend.
func (f *fixture) tcpPair() (local, peer int) {
	f.t.Helper()
	ln, addr := f.listen()
	c, err := f.k.Connect("tcp4", addr)
	if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
		f.t.Fatalf("Connect %s: %v", addr, err)
	}
	f.track(c)
	hp, err := f.k.NewPoller(f.target.Backend)
	f.check(err, "NewPoller(%q)", f.target.Backend)
	defer hp.Close()
	f.check(hp.Add(ln, ep.Readable, 1), "helper Add listener")
	f.check(hp.Add(c, ep.Writable, 2), "helper Add connecting socket")
	peer, connected := -1, false
	deadline := time.Now().Add(patience)
	evs := make([]ep.Event, 4)
	for peer < 0 || !connected {
		if time.Now().After(deadline) {
			f.t.Fatalf("TCP pair: not established after %v (accepted=%v connected=%v)", patience, peer >= 0, connected)
		}
		n, err := hp.Wait(evs, time.Second)
		f.check(err, "helper Wait")
		for _, e := range evs[:n] {
			switch e.Data {
			case 1:
				fd, err := f.k.Accept(ln)
				if errors.Is(err, syscall.EAGAIN) {
					continue
				}
				f.check(err, "Accept")
				peer = f.track(fd)
				f.check(hp.Delete(ln), "helper Delete listener")
			case 2:
				f.check(f.k.SocketError(c), "connect result (SO_ERROR)")
				connected = true
				f.check(hp.Delete(c), "helper Delete connecting socket")
			}
		}
	}
	f.closeFD(ln)
	return c, peer
}

// closeFD closes fd and stops tracking it.
func (f *fixture) closeFD(fd int) {
	f.t.Helper()
	f.untrack(fd)
	f.check(f.k.Close(fd), "Close(%d)", fd)
}

// dup duplicates fd.
func (f *fixture) dup(fd int) int {
	f.t.Helper()
	d, err := f.k.Dup(fd)
	f.check(err, "Dup(%d)", fd)
	return f.track(d)
}

// write writes all of p in one call.
func (f *fixture) write(fd int, p []byte) {
	f.t.Helper()
	n, err := f.k.Write(fd, p)
	f.check(err, "Write(%d, %d bytes)", fd, len(p))
	if n != len(p) {
		f.t.Fatalf("Write(%d, %d bytes): short write %d", fd, len(p), n)
	}
}

// read makes one Read of up to max bytes and fails on error.
func (f *fixture) read(fd, max int) []byte {
	f.t.Helper()
	buf := make([]byte, max)
	n, err := f.k.Read(fd, buf)
	f.check(err, "Read(%d)", fd)
	return buf[:n]
}

// wantRead reads once and requires exactly want ("" means end of file).
func (f *fixture) wantRead(fd int, want string) {
	f.t.Helper()
	got := f.read(fd, len(want)+64)
	if string(got) != want {
		f.t.Fatalf("Read(%d) = %q, want %q", fd, got, want)
	}
}

// drain reads until EAGAIN and returns the byte count; it fails on end of
// file or another error.
func (f *fixture) drain(fd int) int {
	f.t.Helper()
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := f.k.Read(fd, buf)
		if errors.Is(err, syscall.EAGAIN) {
			return total
		}
		f.check(err, "Read(%d) while draining", fd)
		if n == 0 {
			f.t.Fatalf("Read(%d) while draining: unexpected end of file after %d bytes", fd, total)
		}
		total += n
	}
}

// add, modify and del fail the case on error.
func (f *fixture) add(p ep.Poller, fd int, ev ep.Events, data uint64) {
	f.t.Helper()
	f.check(p.Add(fd, ev, data), "Add(%d, %v, %#x)", fd, ev, data)
}

func (f *fixture) modify(p ep.Poller, fd int, ev ep.Events, data uint64) {
	f.t.Helper()
	f.check(p.Modify(fd, ev, data), "Modify(%d, %v, %#x)", fd, ev, data)
}

func (f *fixture) del(p ep.Poller, fd int) {
	f.t.Helper()
	f.check(p.Delete(fd), "Delete(%d)", fd)
}

// wait makes one Wait with room for max events and checks what every result
// must satisfy: no error, no reserved data, no event without conditions, and
// no item twice in one result (cases give every registration its own data).
func (f *fixture) wait(p ep.Poller, max int, timeout time.Duration) []ep.Event {
	f.t.Helper()
	evs := make([]ep.Event, max)
	n, err := p.Wait(evs, timeout)
	f.check(err, "Wait(%d, %v)", max, timeout)
	if n < 0 || n > max {
		f.t.Fatalf("Wait(%d, %v) = %d events", max, timeout, n)
	}
	evs = evs[:n]
	if msg := resultProblem(evs); msg != "" {
		f.t.Fatalf("Wait(%d, %v): %s", max, timeout, msg)
	}
	return evs
}

// resultProblem describes what is wrong with one Wait result, or returns "".
func resultProblem(evs []ep.Event) string {
	for i, e := range evs {
		if e.Data == ep.ReservedData {
			return fmt.Sprintf("event %d carries the reserved data value (internal wake-up leaked): %v", i, evs)
		}
		if e.Events == 0 {
			return fmt.Sprintf("event %d has no conditions: %v", i, evs)
		}
		if e.Events&(ep.EdgeTriggered|ep.OneShot|ep.Exclusive) != 0 {
			return fmt.Sprintf("event %d reports mode bits: %v", i, evs)
		}
		for _, o := range evs[:i] {
			if o.Data == e.Data {
				return fmt.Sprintf("data %#x reported twice in one result: %v", e.Data, evs)
			}
		}
	}
	return ""
}

// expect makes one Wait (returning as soon as anything is ready, at most
// patience) and requires exactly the events want, in any order.
func (f *fixture) expect(p ep.Poller, want ...ep.Event) {
	f.t.Helper()
	f.expectWithin(p, patience, want...)
}

// expectNow is expect with a zero timeout: the events must be ready already.
func (f *fixture) expectNow(p ep.Poller, want ...ep.Event) {
	f.t.Helper()
	f.expectWithin(p, 0, want...)
}

func (f *fixture) expectWithin(p ep.Poller, timeout time.Duration, want ...ep.Event) {
	f.t.Helper()
	got := f.wait(p, len(want)+8, timeout)
	if !sameEvents(got, want) {
		f.t.Fatalf("Wait(%v) = %v, want %v", timeout, fmtEvents(got), fmtEvents(want))
	}
}

// expectNone requires a Wait of quiet to return no events, and not early.
func (f *fixture) expectNone(p ep.Poller) {
	f.t.Helper()
	start := f.k.Now()
	got := f.wait(p, 8, quiet)
	if len(got) != 0 {
		f.t.Fatalf("Wait(%v) = %v, want no events", quiet, fmtEvents(got))
	}
	if el := f.k.Now().Sub(start); el < quiet {
		f.t.Fatalf("Wait(%v) returned no events after only %v", quiet, el)
	}
}

// waitFor waits (up to patience) until an event for data satisfies ok and
// returns its conditions. Other events are ignored. It suits level-triggered
// registrations whose state settles asynchronously (TCP over loopback).
func (f *fixture) waitFor(p ep.Poller, data uint64, what string, ok func(ep.Events) bool) ep.Events {
	f.t.Helper()
	deadline := time.Now().Add(patience)
	var last []ep.Event
	for time.Now().Before(deadline) {
		for _, e := range f.wait(p, 16, 100*time.Millisecond) {
			if e.Data == data {
				last = append(last[:0], e)
				if ok(e.Events) {
					return e.Events
				}
			}
		}
	}
	f.t.Fatalf("no event for data %#x with %s within %v (last seen: %v)", data, what, patience, fmtEvents(last))
	return 0
}

// halfClosedFallback waits for the event of data, a socket registered for
// Readable|ReadHangup whose peer shut down its writing side, on a backend
// without Caps.ReadHangup, and checks what is documented there: Readable
// (a read returns 0 once the data is read), ReadHangup not promised, no
// Hangup (the local side can still write).
func (f *fixture) halfClosedFallback(p ep.Poller, data uint64, what string) {
	f.t.Helper()
	got := f.waitFor(p, data, "readable", has(ep.Readable))
	if got&^ep.ReadHangup != ep.Readable {
		f.t.Fatalf("%s: %v, want readable (read-hangup not promised without Caps.ReadHangup; no hangup)", what, got)
	}
}

// skipNoReadHangup ends a case about a peer's write shutdown on a backend
// without Caps.ReadHangup, after the case checked the documented fallback:
// the case is skipped with the reason.
func (f *fixture) skipNoReadHangup(checked string) {
	f.t.Helper()
	f.t.Skipf("the backend does not report ReadHangup for a peer's write shutdown (Capabilities.ReadHangup false: poll(2) without POLLRDHUP); checked instead: %s", checked)
}

// has reports whether all of want are set.
func has(want ep.Events) func(ep.Events) bool {
	return func(e ep.Events) bool { return e&want == want }
}

func sameEvents(got, want []ep.Event) bool {
	if len(got) != len(want) {
		return false
	}
	g := slices.Clone(got)
	w := slices.Clone(want)
	cmp := func(a, b ep.Event) int {
		if a.Data != b.Data {
			if a.Data < b.Data {
				return -1
			}
			return 1
		}
		return int(a.Events) - int(b.Events)
	}
	slices.SortFunc(g, cmp)
	slices.SortFunc(w, cmp)
	return slices.Equal(g, w)
}

func fmtEvents(evs []ep.Event) string {
	if len(evs) == 0 {
		return "[]"
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, e := range evs {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "{%v %#x}", e.Events, e.Data)
	}
	b.WriteByte(']')
	return b.String()
}

// ev builds an Event.
func ev(events ep.Events, data uint64) ep.Event { return ep.Event{Events: events, Data: data} }

// waitResult is what a Wait in another goroutine returned.
type waitResult struct {
	evs []ep.Event
	err error
	at  time.Time
}

// waitAsync starts a Wait in a new goroutine and returns the channel that
// delivers its result.
func waitAsync(p ep.Poller, max int, timeout time.Duration) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		evs := make([]ep.Event, max)
		n, err := p.Wait(evs, timeout)
		if n < 0 {
			n = 0
		}
		ch <- waitResult{evs: evs[:n], err: err, at: time.Now()}
	}()
	return ch
}

// receive waits (up to patience) for an asynchronous Wait's result.
func (f *fixture) receive(ch <-chan waitResult, what string) waitResult {
	f.t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(patience):
		f.t.Fatalf("%s: the Wait did not return within %v", what, patience)
		return waitResult{}
	}
}

// stillBlocked requires an asynchronous Wait not to have returned after d.
func (f *fixture) stillBlocked(ch <-chan waitResult, d time.Duration, what string) {
	f.t.Helper()
	select {
	case r := <-ch:
		f.t.Fatalf("%s: Wait returned early with %v, %v", what, fmtEvents(r.evs), r.err)
	case <-time.After(d):
	}
}
