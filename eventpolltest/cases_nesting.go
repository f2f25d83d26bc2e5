package eventpolltest

import (
	"syscall"

	ep "github.com/eventpoll/eventpoll"
)

// nestingCases watch a nestable Poller (an eventpoll: the epoll backend, sim)
// from a Poller of the backend under test, as the kernel allows: the inner
// one's descriptor is readable while it has events pending, and the inner
// Wait that harvests them ends that (epoll(7), "Can an epoll file descriptor
// itself be put into an epoll set?"). They are skipped where the Kernel
// has no nestable backend.
var nestingCases = []testCase{
	// The outer registration is level-triggered: reported for as long as
	// the inner poller has its edge pending, no longer once the inner Wait
	// took it.
	par("NestedLevel", func(f *fixture) {
		inner, fd := f.nestable()
		outer := f.poller()
		r, w := f.pipe()
		f.add(inner, r, ep.Readable|ep.EdgeTriggered, 1)
		f.add(outer, fd, ep.Readable, 9)
		f.expectNone(outer)
		f.write(w, []byte("x"))
		f.expect(outer, ev(ep.Readable, 9))
		f.expect(outer, ev(ep.Readable, 9)) // still pending: level-triggered
		f.expectNow(inner, ev(ep.Readable, 1))
		f.expectNone(outer) // the inner Wait took the edge
		f.expectNone(inner)
	}),
	// A level-triggered inner registration stays pending while its fd is
	// ready: the outer one reports the inner poller until the pipe is
	// drained, then no more.
	par("NestedLevelInner", func(f *fixture) {
		inner, fd := f.nestable()
		outer := f.poller()
		r, w := f.pipe()
		f.add(inner, r, ep.Readable, 1)
		f.add(outer, fd, ep.Readable, 9)
		f.write(w, []byte("x"))
		f.expect(outer, ev(ep.Readable, 9))
		f.expectNow(inner, ev(ep.Readable, 1))
		f.expect(outer, ev(ep.Readable, 9)) // the pipe is still readable
		f.wantRead(r, "x")
		f.expectNone(outer)
		f.expectNone(inner)
	}),
	// An edge-triggered outer registration reports the inner poller once
	// per readiness change; on a kernel eventpoll a new arrival in the inner
	// one is a new edge for the outer one too.
	par("NestedEdge", func(f *fixture) {
		inner, fd := f.nestable()
		outer := f.poller()
		r, w := f.pipe()
		f.add(inner, r, ep.Readable, 1)
		f.add(outer, fd, ep.Readable|ep.EdgeTriggered, 9)
		f.expectNone(outer)
		f.write(w, []byte("x"))
		f.expect(outer, ev(ep.Readable, 9))
		f.expectNone(outer) // no new activity: no new edge
		if f.target.Caps.KernelEpoll {
			f.write(w, []byte("y"))
			f.expect(outer, ev(ep.Readable, 9))
		}
		f.expectNow(inner, ev(ep.Readable, 1))
	}),
	// A Wait blocked on the outer poller wakes when the inner one gets an
	// event.
	par("NestedWakesBlockedWait", func(f *fixture) {
		inner, fd := f.nestable()
		outer := f.poller()
		r, w := f.pipe()
		f.add(inner, r, ep.Readable, 1)
		f.add(outer, fd, ep.Readable, 9)
		ch := waitAsync(outer, 4, -1)
		f.stillBlocked(ch, quiet, "outer Wait(-1) with the inner poller idle")
		f.write(w, []byte("x"))
		res := f.receive(ch, "outer Wait(-1) after a write the inner poller watches")
		f.check(res.err, "outer Wait")
		if !sameEvents(res.evs, []ep.Event{ev(ep.Readable, 9)}) {
			f.t.Fatalf("outer Wait = %v, want {readable 0x9}", fmtEvents(res.evs))
		}
		f.expectNow(inner, ev(ep.Readable, 1))
	}),
	// A Wake of the inner poller is an event pending on it as well.
	par("NestedInnerWake", func(f *fixture) {
		inner, fd := f.nestable()
		outer := f.poller()
		f.add(outer, fd, ep.Readable, 9)
		f.expectNone(outer)
		f.check(inner.Wake(), "inner Wake")
		f.expect(outer, ev(ep.Readable, 9))
		if evs := f.wait(inner, 4, 0); len(evs) != 0 {
			f.t.Fatalf("inner Wait after Wake = %v, want no events", fmtEvents(evs))
		}
		f.expectNone(outer)
	}),
	// A nestable poller cannot watch itself (EINVAL), and two that would
	// watch each other are refused (ELOOP).
	par("NestedLoopRefused", func(f *fixture) {
		a, afd := f.nestable()
		err := a.Add(afd, ep.Readable, 1)
		if err == nil {
			f.t.Fatalf("a poller added its own descriptor")
		}
		b, bfd := f.nestable()
		f.add(a, bfd, ep.Readable, 2)
		f.wantErr(b.Add(afd, ep.Readable, 3), "Add that closes a loop of two pollers", syscall.ELOOP)
	}),
}

// nestable returns a nestable Poller of the target's Kernel (the target's
// backend if it is one, else "epoll" or "sim") and its descriptor, closed
// when the case ends; it skips the case where the Kernel has none.
func (f *fixture) nestable() (ep.Poller, int) {
	f.t.Helper()
	for _, b := range []string{f.target.Backend, "epoll", "sim"} {
		p, err := f.k.NewPoller(b)
		if err != nil {
			continue
		}
		fd, ok := ep.PollerFD(p)
		if !ok {
			p.Close()
			continue
		}
		f.mu.Lock()
		f.pollers = append(f.pollers, p)
		f.mu.Unlock()
		return p, fd
	}
	f.t.Skip("no nestable backend (eventpoll.Nestable) on this Kernel")
	return nil, -1
}
