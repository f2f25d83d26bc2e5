package eventpolltest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// timeoutCases cover Wait's timeout: zero, positive, negative.
var timeoutCases = []testCase{
	par("TimeoutZero", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.add(p, r, ep.Readable, 1)
		start := f.k.Now()
		if got := f.wait(p, 4, 0); len(got) != 0 {
			f.t.Fatalf("Wait(0) = %v, want no events", fmtEvents(got))
		}
		// Generous bound: only a Wait that blocks fails it.
		if el := f.k.Now().Sub(start); el > time.Second {
			f.t.Fatalf("Wait(0) took %v", el)
		}
	}),
	par("TimeoutZeroReportsReady", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, 1)
		f.expectNow(p, ev(ep.Readable, 1))
	}),
	par("TimeoutPositive", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.add(p, r, ep.Readable, 1)
		const d = 50 * time.Millisecond
		start := f.k.Now()
		got := f.wait(p, 4, d)
		el := f.k.Now().Sub(start)
		if len(got) != 0 {
			f.t.Fatalf("Wait(%v) = %v, want no events", d, fmtEvents(got))
		}
		if el < d {
			f.t.Fatalf("Wait(%v) returned after %v", d, el)
		}
	}),
	// Linux selftest epoll63: a timeout never ends early.
	par("TimeoutNeverEarly", func(f *fixture) {
		p := f.poller()
		for _, d := range []time.Duration{time.Millisecond, 1500 * time.Microsecond, 3 * time.Millisecond, 10 * time.Millisecond, time.Nanosecond} {
			for range 3 {
				start := f.k.Now()
				got := f.wait(p, 4, d)
				el := f.k.Now().Sub(start)
				if len(got) != 0 {
					f.t.Fatalf("Wait(%v) = %v on an empty poller", d, fmtEvents(got))
				}
				if el < d {
					f.t.Fatalf("Wait(%v) returned after %v", d, el)
				}
			}
		}
	}),
	// The pitfall: a Wait under garbage collection and CPU-bound goroutines
	// (which the runtime preempts with signals, so the system call sees
	// EINTR) must neither fail nor end early.
	seq("TimeoutUnderLoad", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.add(p, r, ep.Readable, 1)
		var stop atomic.Bool
		var wg sync.WaitGroup
		for range max(2, runtime.GOMAXPROCS(0)) {
			wg.Go(func() {
				x := 0
				for !stop.Load() {
					x++
				}
				_ = x
			})
		}
		wg.Go(func() {
			var sink [][]byte
			for !stop.Load() {
				sink = append(sink, make([]byte, 64<<10))
				if len(sink) > 64 {
					sink = sink[:0]
					runtime.GC()
				}
			}
		})
		defer func() { stop.Store(true); wg.Wait() }()
		const d = 200 * time.Millisecond
		for range 2 {
			start := f.k.Now()
			got := f.wait(p, 4, d)
			el := f.k.Now().Sub(start)
			if len(got) != 0 {
				f.t.Fatalf("Wait(%v) = %v, want no events", d, fmtEvents(got))
			}
			if el < d {
				f.t.Fatalf("Wait(%v) under load returned after %v", d, el)
			}
		}
	}),
	par("InfiniteWaitEvent", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable, 4)
		ch := waitAsync(p, 4, -1)
		f.stillBlocked(ch, 100*time.Millisecond, "Wait(-1) with nothing ready")
		f.write(w, []byte("x"))
		res := f.receive(ch, "Wait(-1) after a write")
		f.check(res.err, "Wait(-1)")
		if !sameEvents(res.evs, []ep.Event{ev(ep.Readable, 4)}) {
			f.t.Fatalf("Wait(-1) = %v, want {readable 0x4}", fmtEvents(res.evs))
		}
	}),
	par("InfiniteWaitNegativeValues", func(f *fixture) {
		// Every negative timeout means "for ever", not only -1.
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable, 4)
		ch := waitAsync(p, 4, -5*time.Second)
		f.stillBlocked(ch, 100*time.Millisecond, "Wait(-5s) with nothing ready")
		f.write(w, []byte("x"))
		res := f.receive(ch, "Wait(-5s) after a write")
		f.check(res.err, "Wait(-5s)")
		if len(res.evs) != 1 {
			f.t.Fatalf("Wait(-5s) = %v, want one event", fmtEvents(res.evs))
		}
	}),
	// Linux selftest epoll61: an event that races a short timeout is never
	// lost: if the Wait times out, the next one reports it.
	par("EventRacesTimeout", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable, 1)
		const d = 11 * time.Millisecond
		for i := range 15 {
			done := make(chan error, 1)
			go func() {
				time.Sleep(d)
				_, err := f.k.Write(w, []byte("x"))
				done <- err
			}()
			got := f.wait(p, 4, d)
			if len(got) == 0 {
				got = f.wait(p, 4, patience)
			}
			f.check(<-done, "Write")
			if !sameEvents(got, []ep.Event{ev(ep.Readable, 1)}) {
				f.t.Fatalf("iteration %d: %v, want {readable 0x1}", i, fmtEvents(got))
			}
			if n := f.drain(r); n != 1 {
				f.t.Fatalf("iteration %d: drained %d bytes, want 1", i, n)
			}
		}
	}),
}
