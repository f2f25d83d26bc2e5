package sim_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/sim"
)

func newPoller(t *testing.T, k *sim.Kernel) *sim.Poller {
	t.Helper()
	p, err := k.NewPoller("sim")
	must(t, err, "NewPoller")
	t.Cleanup(func() { p.Close() })
	return p.(*sim.Poller)
}

func waitN(t *testing.T, p ep.Poller, max int, timeout time.Duration) []ep.Event {
	t.Helper()
	evs := make([]ep.Event, max)
	n, err := p.Wait(evs, timeout)
	must(t, err, "Wait")
	return evs[:n]
}

func writeByte(t *testing.T, k *sim.Kernel, fd int) {
	t.Helper()
	_, err := k.Write(fd, []byte("x"))
	must(t, err, "Write")
}

// TestRoundRobin: three ready level-triggered fds, room for one: the order
// is exactly 12, 14, 16, 12 (delivered items go to the tail).
func TestRoundRobin(t *testing.T) {
	k := sim.New(sim.Config{})
	p := newPoller(t, k)
	for _, d := range []uint64{12, 14, 16} {
		r, w, _ := k.Pipe()
		writeByte(t, k, w)
		must(t, p.Add(r, ep.Readable, d), "Add")
	}
	var got []uint64
	for range 4 {
		evs := waitN(t, p, 1, 0)
		if len(evs) != 1 {
			t.Fatalf("Wait = %v", evs)
		}
		got = append(got, evs[0].Data)
	}
	if fmt.Sprint(got) != "[12 14 16 12]" {
		t.Fatalf("order %v, want [12 14 16 12]", got)
	}
}

// TestReadyListRecheck: an item queued by a wake-up but no longer ready at
// harvest is not reported (mask = current state & interest).
func TestReadyListRecheck(t *testing.T) {
	k := sim.New(sim.Config{})
	p := newPoller(t, k)
	r, w, _ := k.Pipe()
	must(t, p.Add(r, ep.Readable|ep.EdgeTriggered, 1), "Add")
	writeByte(t, k, w)
	k.Read(r, make([]byte, 4))
	if evs := waitN(t, p, 4, 0); len(evs) != 0 {
		t.Fatalf("drained before the Wait: %v, want nothing", evs)
	}
}

// TestNestedLevel: an eventpoll watched by another is readable while it
// has ready items (selftest epoll17-style: t0 -> e1 -> e0 -> pipe).
func TestNestedLevel(t *testing.T) {
	k := sim.New(sim.Config{})
	inner, outer := newPoller(t, k), newPoller(t, k)
	r, w, _ := k.Pipe()
	must(t, inner.Add(r, ep.Readable, 1), "inner Add")
	must(t, outer.Add(inner.FD(), ep.Readable, 100), "outer Add of the inner eventpoll")
	if evs := waitN(t, outer, 4, 0); len(evs) != 0 {
		t.Fatalf("outer before data: %v", evs)
	}
	writeByte(t, k, w)
	for range 2 {
		evs := waitN(t, outer, 4, time.Second)
		if len(evs) != 1 || evs[0] != (ep.Event{Events: ep.Readable, Data: 100}) {
			t.Fatalf("outer (LT over LT) = %v, want {readable 100}", evs)
		}
	}
	if evs := waitN(t, inner, 4, 0); len(evs) != 1 || evs[0].Data != 1 {
		t.Fatalf("inner = %v", evs)
	}
	k.Read(r, make([]byte, 4))
	if evs := waitN(t, outer, 4, 0); len(evs) != 0 {
		t.Fatalf("outer after the inner fd drained: %v, want nothing", evs)
	}
}

// TestNestedEdge: outer ET over inner LT reports once per new arrival;
// outer LT over inner ET reports until the inner eventpoll is harvested.
func TestNestedEdge(t *testing.T) {
	k := sim.New(sim.Config{})
	inner, outer := newPoller(t, k), newPoller(t, k)
	r, w, _ := k.Pipe()
	must(t, inner.Add(r, ep.Readable, 1), "inner Add")
	must(t, outer.Add(inner.FD(), ep.Readable|ep.EdgeTriggered, 100), "outer Add ET")
	writeByte(t, k, w)
	if evs := waitN(t, outer, 4, time.Second); len(evs) != 1 {
		t.Fatalf("outer ET first Wait = %v, want one event", evs)
	}
	if evs := waitN(t, outer, 4, 10*time.Millisecond); len(evs) != 0 {
		t.Fatalf("outer ET second Wait = %v, want nothing", evs)
	}
	writeByte(t, k, w)
	if evs := waitN(t, outer, 4, time.Second); len(evs) != 1 {
		t.Fatalf("outer ET after new data = %v, want one event", evs)
	}

	inner2, outer2 := newPoller(t, k), newPoller(t, k)
	r2, w2, _ := k.Pipe()
	must(t, inner2.Add(r2, ep.Readable|ep.EdgeTriggered, 2), "inner Add ET")
	must(t, outer2.Add(inner2.FD(), ep.Readable, 200), "outer Add LT")
	writeByte(t, k, w2)
	for range 2 {
		if evs := waitN(t, outer2, 4, time.Second); len(evs) != 1 {
			t.Fatalf("outer LT over inner ET = %v, want one event", evs)
		}
	}
	if evs := waitN(t, inner2, 4, 0); len(evs) != 1 {
		t.Fatalf("inner ET = %v", evs)
	}
	if evs := waitN(t, outer2, 4, 0); len(evs) != 0 {
		t.Fatalf("outer LT after the inner ET item was delivered: %v, want nothing", evs)
	}
}

// TestNestedWakesBlockedWait: a Wait blocked on the outer eventpoll wakes
// when a file watched by the inner one becomes ready (ep_poll_callback ->
// poll_wait -> the outer's callback).
func TestNestedWakesBlockedWait(t *testing.T) {
	k := sim.New(sim.Config{})
	inner, outer := newPoller(t, k), newPoller(t, k)
	r, w, _ := k.Pipe()
	must(t, inner.Add(r, ep.Readable, 1), "inner Add")
	must(t, outer.Add(inner.FD(), ep.Readable, 100), "outer Add")
	done := make(chan []ep.Event, 1)
	go func() {
		evs := make([]ep.Event, 2)
		n, _ := outer.Wait(evs, 5*time.Second)
		done <- evs[:n]
	}()
	time.Sleep(20 * time.Millisecond)
	writeByte(t, k, w)
	select {
	case evs := <-done:
		if len(evs) != 1 || evs[0].Data != 100 {
			t.Fatalf("outer = %v", evs)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("blocked outer Wait not woken through the inner eventpoll")
	}
}

func TestLoopELOOP(t *testing.T) {
	k := sim.New(sim.Config{})
	a, b, c := newPoller(t, k), newPoller(t, k), newPoller(t, k)
	must(t, a.Add(b.FD(), ep.Readable, 1), "a watches b")
	must(t, b.Add(c.FD(), ep.Readable, 2), "b watches c")
	wantErrno(t, c.Add(a.FD(), ep.Readable, 3), syscall.ELOOP, "c watches a (cycle)")
	wantErrno(t, b.Add(a.FD(), ep.Readable, 4), syscall.ELOOP, "b watches a (cycle)")
	wantErrno(t, a.Add(a.FD(), ep.Readable, 5), syscall.EINVAL, "a watches itself")
	d, err := k.Dup(a.FD())
	must(t, err, "Dup")
	wantErrno(t, a.Add(d, ep.Readable, 6), syscall.EINVAL, "a watches a duplicate of itself")
	wantErrno(t, a.Add(c.FD(), ep.Readable|ep.Exclusive, 7), syscall.EINVAL, "Exclusive on an eventpoll target")
	// The failed Adds left nothing behind.
	if got := k.Watchers(a.FD()); got != 0 {
		t.Fatalf("a is watched by %d items after failed Adds", got)
	}
}

// TestDepthLimit: at most 5 eventpolls in a chain (EP_MAX_NESTS = 4 links),
// whether the chain grows at the top, the bottom or in the middle.
func TestDepthLimit(t *testing.T) {
	k := sim.New(sim.Config{})
	ps := make([]*sim.Poller, 6)
	for i := range ps {
		ps[i] = newPoller(t, k)
	}
	for i := 0; i < 4; i++ {
		must(t, ps[i].Add(ps[i+1].FD(), ep.Readable, uint64(i)), fmt.Sprintf("link %d", i))
	}
	wantErrno(t, ps[4].Add(ps[5].FD(), ep.Readable, 9), syscall.ELOOP, "sixth eventpoll below")
	wantErrno(t, ps[5].Add(ps[0].FD(), ep.Readable, 9), syscall.ELOOP, "sixth eventpoll above")
	// Middle: x -> y joins two chains of 3 into one of 6.
	q := make([]*sim.Poller, 6)
	for i := range q {
		q[i] = newPoller(t, k)
	}
	must(t, q[0].Add(q[1].FD(), ep.Readable, 0), "q0->q1")
	must(t, q[1].Add(q[2].FD(), ep.Readable, 0), "q1->q2")
	must(t, q[3].Add(q[4].FD(), ep.Readable, 0), "q3->q4")
	must(t, q[4].Add(q[5].FD(), ep.Readable, 0), "q4->q5")
	wantErrno(t, q[2].Add(q[3].FD(), ep.Readable, 0), syscall.ELOOP, "joining two chains of 3")
	// Events still flow through a chain of 5.
	r, w, _ := k.Pipe()
	must(t, ps[4].Add(r, ep.Readable, 42), "bottom Add")
	writeByte(t, k, w)
	if evs := waitN(t, ps[0], 2, time.Second); len(evs) != 1 || evs[0].Data != 0 {
		t.Fatalf("top of the chain = %v", evs)
	}
}

// blockedWaits starts one Wait per poller (or n on one poller) and counts
// how many return within d after trigger.
func countWakes(t *testing.T, pollers []ep.Poller, max int, trigger func()) int {
	t.Helper()
	var woke atomic.Int32
	var wg sync.WaitGroup
	for _, p := range pollers {
		wg.Go(func() {
			evs := make([]ep.Event, max)
			n, err := p.Wait(evs, 400*time.Millisecond)
			if err == nil && n > 0 {
				woke.Add(1)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	trigger()
	wg.Wait()
	return int(woke.Load())
}

// TestExclusiveWakesOne: four pollers watch one pipe; with Exclusive one
// write wakes exactly one of their blocked Waits, without it all four.
func TestExclusiveWakesOne(t *testing.T) {
	for _, tc := range []struct {
		mode ep.Events
		want int
	}{{ep.Exclusive, 1}, {0, 4}} {
		k := sim.New(sim.Config{})
		r, w, _ := k.Pipe()
		var ps []ep.Poller
		for i := range 4 {
			p := newPoller(t, k)
			must(t, p.Add(r, ep.Readable|tc.mode, uint64(i)), "Add")
			ps = append(ps, p)
		}
		if got := countWakes(t, ps, 4, func() { writeByte(t, k, w) }); got != tc.want {
			t.Fatalf("mode %v: %d Waits woke, want %d", tc.mode, got, tc.want)
		}
	}
}

// TestExclusiveNoSleeperQueuesAll: with no Wait blocked, every exclusive
// item is queued (the wake-up stops only at an eventpoll that woke someone).
func TestExclusiveNoSleeperQueuesAll(t *testing.T) {
	k := sim.New(sim.Config{})
	r, w, _ := k.Pipe()
	a, b := newPoller(t, k), newPoller(t, k)
	must(t, a.Add(r, ep.Readable|ep.Exclusive, 1), "Add a")
	must(t, b.Add(r, ep.Readable|ep.Exclusive, 2), "Add b")
	writeByte(t, k, w)
	if len(waitN(t, a, 2, 0)) != 1 || len(waitN(t, b, 2, 0)) != 1 {
		t.Fatal("both idle exclusive pollers should report the ready pipe")
	}
}

// Selftests epoll9-12 and 64: two Waits blocked on one eventpoll; a level-
// triggered event wakes both (the first re-queues the item and passes the
// wake on), an edge-triggered one wakes one.
func TestSelftestTwoWaiters(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode ep.Events
		want int
	}{{"LT", 0, 2}, {"ET", ep.EdgeTriggered, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			k := sim.New(sim.Config{})
			p := newPoller(t, k)
			a, b, _ := k.Socketpair()
			must(t, p.Add(a, ep.Readable|tc.mode, 1), "Add")
			got := countWakes(t, []ep.Poller{p, p}, 1, func() { writeByte(t, k, b) })
			if got != tc.want {
				t.Fatalf("%d of 2 waiters woke, want %d", got, tc.want)
			}
		})
	}
}

// Selftests epoll1-4: one waiter, event before (1, 2) or during (3, 4) the
// Wait; LT reports again, ET does not.
func TestSelftestOneWaiter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   ep.Events
		during bool
		again  int
	}{{"epoll1", 0, false, 1}, {"epoll2", ep.EdgeTriggered, false, 0}, {"epoll3", 0, true, 1}, {"epoll4", ep.EdgeTriggered, true, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			k := sim.New(sim.Config{})
			p := newPoller(t, k)
			a, b, _ := k.Socketpair()
			must(t, p.Add(a, ep.Readable|tc.mode, 1), "Add")
			if tc.during {
				go func() { time.Sleep(20 * time.Millisecond); k.Write(b, []byte("w")) }()
			} else {
				writeByte(t, k, b)
			}
			if evs := waitN(t, p, 1, time.Second); len(evs) != 1 {
				t.Fatalf("first Wait = %v", evs)
			}
			if evs := waitN(t, p, 1, 0); len(evs) != tc.again {
				t.Fatalf("second Wait = %v, want %d events", evs, tc.again)
			}
		})
	}
}

// Selftest epoll59: Modify of an always-ready ET fd reports it every time.
func TestSelftestModifyAlwaysReady(t *testing.T) {
	k := sim.New(sim.Config{})
	p := newPoller(t, k)
	efd, _ := k.Eventfd()
	must(t, p.Add(efd, ep.Writable|ep.EdgeTriggered, 1), "Add")
	for i := range 8 {
		must(t, p.Modify(efd, ep.Writable|ep.EdgeTriggered, uint64(i)), "Modify")
		if evs := waitN(t, p, 2, 0); len(evs) != 1 || evs[0].Data != uint64(i) {
			t.Fatalf("round %d: %v", i, evs)
		}
	}
}

// Selftest epoll60: ten ET eventfds, ten Waits with room for one each: all
// ten wake.
func TestSelftestTenWaiters(t *testing.T) {
	k := sim.New(sim.Config{})
	p := newPoller(t, k)
	var fds []int
	for i := range 10 {
		efd, _ := k.Eventfd()
		must(t, p.Add(efd, ep.Readable|ep.EdgeTriggered, uint64(i)), "Add")
		fds = append(fds, efd)
	}
	ps := make([]ep.Poller, 10)
	for i := range ps {
		ps[i] = p
	}
	got := countWakes(t, ps, 1, func() {
		for _, fd := range fds {
			k.Write(fd, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		}
	})
	if got != 10 {
		t.Fatalf("%d of 10 waiters woke", got)
	}
}

// Selftest epoll61 and 63 on the virtual clock: a timeout is never early,
// and an event at the deadline is reported by this Wait or the next.
func TestSelftestTimeoutsVirtual(t *testing.T) {
	k := sim.New(sim.Config{Deterministic: true})
	p := newPoller(t, k)
	for _, d := range []time.Duration{time.Nanosecond, time.Millisecond, 1500 * time.Microsecond, 11 * time.Millisecond} {
		start := k.Now()
		if evs := waitN(t, p, 1, d); len(evs) != 0 {
			t.Fatalf("Wait(%v) = %v", d, evs)
		}
		if el := k.Now().Sub(start); el < d {
			t.Fatalf("Wait(%v) returned after %v of virtual time", d, el)
		}
	}
}

// TestCloseRemovesFromEverySet: the last close of a file removes its items
// from every eventpoll; a duplicate keeps them (and the old data).
func TestCloseRemovesFromEverySet(t *testing.T) {
	k := sim.New(sim.Config{})
	r, w, _ := k.Pipe()
	ps := []*sim.Poller{newPoller(t, k), newPoller(t, k), newPoller(t, k)}
	for i, p := range ps {
		must(t, p.Add(r, ep.Readable, uint64(i)), "Add")
	}
	d, _ := k.Dup(r)
	must(t, k.Close(r), "Close")
	if got := k.Watchers(d); got != 3 {
		t.Fatalf("after closing one of two descriptors: %d items, want 3", got)
	}
	writeByte(t, k, w)
	if evs := waitN(t, ps[1], 2, 0); len(evs) != 1 || evs[0].Data != 1 {
		t.Fatalf("stale item = %v, want the old data 1", evs)
	}
	wantErrno(t, ps[1].Delete(r), syscall.EBADF, "Delete of the closed number")
	must(t, k.Close(d), "Close last")
	for _, p := range ps {
		if evs := waitN(t, p, 2, 0); len(evs) != 0 {
			t.Fatalf("after the last close: %v", evs)
		}
	}
}

// TestCtlErrorOrder follows epoll_ctl: EBADF, EPERM, EINVAL, ELOOP, EEXIST/ENOENT.
func TestCtlErrorOrder(t *testing.T) {
	k := sim.New(sim.Config{})
	p := newPoller(t, k)
	rf, _ := k.RegularFile()
	r, _, _ := k.Pipe()
	wantErrno(t, p.Add(99, ep.Readable|ep.Exclusive|ep.OneShot, 1), syscall.EBADF, "bad fd before bad modes")
	wantErrno(t, p.Modify(rf, ep.Readable|ep.Exclusive, 1), syscall.EPERM, "regular file before bad modes")
	wantErrno(t, p.Delete(rf), syscall.EPERM, "Delete of a regular file")
	wantErrno(t, p.Add(r, ep.Readable|ep.Exclusive|ep.OneShot, 1), syscall.EINVAL, "Exclusive with OneShot")
	wantErrno(t, p.Add(r, ep.Readable|ep.Exclusive|ep.ReadHangup, 1), syscall.EINVAL, "Exclusive with ReadHangup")
	wantErrno(t, p.Modify(r, ep.Readable|ep.Exclusive, 1), syscall.EINVAL, "Modify with Exclusive, even unregistered")
	must(t, p.Add(r, ep.Readable|ep.Exclusive, 1), "Add Exclusive")
	wantErrno(t, p.Modify(r, ep.Readable, 2), syscall.EINVAL, "Modify of an exclusive item")
	wantErrno(t, p.Add(r, ep.Readable, 3), syscall.EEXIST, "Add twice")
	must(t, p.Delete(r), "Delete")
	wantErrno(t, p.Delete(r), syscall.ENOENT, "Delete twice")
	if err := p.Add(r, ep.Readable, 4); err != nil {
		var oe *ep.OpError
		if !errors.As(err, &oe) || oe.Backend != "sim" {
			t.Fatalf("error %v is not an *OpError of backend sim", err)
		}
	}
}
