package eventpolltest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// wakeCases cover Wake.
var wakeCases = []testCase{
	par("WakeInterruptsWait", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.add(p, r, ep.Readable, 1)
		ch := waitAsync(p, 4, -1)
		f.stillBlocked(ch, 100*time.Millisecond, "Wait(-1) with nothing ready")
		f.check(p.Wake(), "Wake")
		res := f.receive(ch, "Wait(-1) after Wake")
		f.check(res.err, "Wait(-1) after Wake")
		if len(res.evs) != 0 {
			f.t.Fatalf("Wait woken with nothing ready returned %v", fmtEvents(res.evs))
		}
	}),
	par("WakeInterruptsTimedWait", func(f *fixture) {
		p := f.poller()
		ch := waitAsync(p, 4, time.Hour)
		f.stillBlocked(ch, quiet, "Wait(1h) with nothing ready")
		f.check(p.Wake(), "Wake")
		res := f.receive(ch, "Wait(1h) after Wake")
		f.check(res.err, "Wait(1h) after Wake")
		if len(res.evs) != 0 {
			f.t.Fatalf("Wait woken with nothing ready returned %v", fmtEvents(res.evs))
		}
	}),
	par("WakeBeforeWait", func(f *fixture) {
		p := f.poller()
		f.check(p.Wake(), "Wake")
		// The Wake is not lost: the Wait returns although nothing is ready.
		res := f.receive(waitAsync(p, 4, -1), "Wait(-1) after an earlier Wake")
		f.check(res.err, "Wait after Wake")
		if len(res.evs) != 0 {
			f.t.Fatalf("Wait after Wake returned %v", fmtEvents(res.evs))
		}
	}),
	par("WakesCollapse", func(f *fixture) {
		p := f.poller()
		for range 10 {
			f.check(p.Wake(), "Wake")
		}
		res := f.receive(waitAsync(p, 4, -1), "Wait(-1) after ten Wakes")
		f.check(res.err, "Wait after Wakes")
		// Ten Wakes cause one return: the next Wait blocks until its timeout.
		f.expectNone(p)
	}),
	par("WakeConsumedBlocksAgain", func(f *fixture) {
		p := f.poller()
		for round := range 3 {
			ch := waitAsync(p, 4, -1)
			f.check(p.Wake(), "Wake")
			res := f.receive(ch, "Wait(-1) with a Wake")
			f.check(res.err, "Wait")
			ch = waitAsync(p, 4, -1)
			f.stillBlocked(ch, quiet, fmt.Sprintf("Wait(-1) after the Wake was consumed (round %d)", round))
			f.check(p.Wake(), "Wake")
			f.check(f.receive(ch, "second Wait(-1)").err, "second Wait")
		}
	}),
	par("WakeWithReadyFD", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, 8)
		f.check(p.Wake(), "Wake")
		// The wake-up itself is never reported as an event (wait checks for
		// the reserved data); the ready fd is.
		f.expect(p, ev(ep.Readable, 8))
		f.drain(r)
		// At most one empty return may remain from the Wake; then quiet.
		f.wait(p, 4, 0)
		f.expectNone(p)
	}),
	par("WakeConcurrent", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable, 1)
		var done atomic.Bool
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 200 {
					if err := p.Wake(); err != nil {
						f.t.Errorf("Wake: %v", err)
						return
					}
				}
			})
		}
		wg.Go(func() {
			for range 20 {
				if _, err := f.k.Write(w, []byte("x")); err != nil {
					f.t.Errorf("Write: %v", err)
					return
				}
			}
		})
		go func() {
			wg.Wait()
			done.Store(true)
			_ = p.Wake()
		}()
		deadline := time.Now().Add(patience)
		buf := make([]byte, 64)
		for !done.Load() {
			if time.Now().After(deadline) {
				f.t.Fatalf("wakers did not finish within %v", patience)
			}
			for _, e := range f.wait(p, 4, time.Second) {
				if e != ev(ep.Readable, 1) {
					f.t.Fatalf("unexpected event %v", fmtEvents([]ep.Event{e}))
				}
				_, _ = f.k.Read(r, buf)
			}
		}
	}),
}
