package eventpolltest

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// concurrencyCases change the interest list from other goroutines while one
// waits, and wait from several goroutines at once (run them under -race).
var concurrencyCases = []testCase{
	par("AddWakesWait", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		ch := waitAsync(p, 4, -1)
		f.stillBlocked(ch, quiet, "Wait(-1) on an empty poller")
		f.add(p, r, ep.Readable, 3)
		res := f.receive(ch, "Wait(-1) after Add of a ready fd")
		f.check(res.err, "Wait")
		if !sameEvents(res.evs, []ep.Event{ev(ep.Readable, 3)}) {
			f.t.Fatalf("blocked Wait after Add of a ready fd = %v, want {readable 0x3}", fmtEvents(res.evs))
		}
	}),
	par("ModifyWakesWait", func(f *fixture) {
		p := f.poller()
		a, _ := f.socketpair()
		f.add(p, a, ep.Readable, 1)
		ch := waitAsync(p, 4, -1)
		f.stillBlocked(ch, quiet, "Wait(-1) with nothing ready")
		f.modify(p, a, ep.Writable, 2)
		res := f.receive(ch, "Wait(-1) after Modify to a ready condition")
		f.check(res.err, "Wait")
		if !sameEvents(res.evs, []ep.Event{ev(ep.Writable, 2)}) {
			f.t.Fatalf("blocked Wait after Modify = %v, want {writable 0x2}", fmtEvents(res.evs))
		}
	}),
	par("OneShotRearmWakesWait", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable|ep.OneShot, 1)
		f.expect(p, ev(ep.Readable, 1))
		ch := waitAsync(p, 4, -1)
		f.stillBlocked(ch, quiet, "Wait(-1) with the one-shot fd disabled")
		f.modify(p, r, ep.Readable|ep.OneShot, 2)
		res := f.receive(ch, "Wait(-1) after re-arming Modify")
		f.check(res.err, "Wait")
		if !sameEvents(res.evs, []ep.Event{ev(ep.Readable, 2)}) {
			f.t.Fatalf("blocked Wait after re-arm = %v, want {readable 0x2}", fmtEvents(res.evs))
		}
	}),
	// After Delete returns, no Wait begun later reports the fd.
	par("DeleteWhileWaiting", func(f *fixture) {
		p := f.poller()
		const n = 5
		fds := make([]int, n)
		var deleted [n]atomic.Bool
		for i := range n {
			fds[i], _ = f.readyPipe(1)
			f.add(p, fds[i], ep.Readable, uint64(i))
		}
		var stop atomic.Bool
		violations := make(chan string, 16)
		var wg sync.WaitGroup
		wg.Go(func() {
			evs := make([]ep.Event, 8)
			for !stop.Load() {
				var before [n]bool
				for i := range n {
					before[i] = deleted[i].Load()
				}
				k, err := p.Wait(evs, 20*time.Millisecond)
				if err != nil {
					violations <- "Wait: " + err.Error()
					return
				}
				for _, e := range evs[:k] {
					if e.Data < n && before[e.Data] {
						violations <- "fd with data " + fmtEvents([]ep.Event{e}) + " reported by a Wait begun after its Delete returned"
						return
					}
				}
			}
		})
		for i := range n {
			time.Sleep(10 * time.Millisecond)
			f.del(p, fds[i])
			deleted[i].Store(true)
		}
		time.Sleep(50 * time.Millisecond)
		stop.Store(true)
		_ = p.Wake()
		wg.Wait()
		close(violations)
		for v := range violations {
			f.t.Fatal(v)
		}
		f.expectNone(p)
	}),
	par("ConcurrentRegistrations", func(f *fixture) {
		p := f.poller()
		const workers, perWorker, rounds = 4, 6, 25
		fds := make([][]int, workers)
		for g := range workers {
			for range perWorker {
				r, _ := f.readyPipe(1)
				fds[g] = append(fds[g], r)
			}
		}
		var stop atomic.Bool
		bad := make(chan string, 16)
		var waiter sync.WaitGroup
		waiter.Go(func() {
			evs := make([]ep.Event, 16)
			for !stop.Load() {
				k, err := p.Wait(evs, 10*time.Millisecond)
				if err != nil {
					bad <- "Wait: " + err.Error()
					return
				}
				if msg := resultProblem(evs[:k]); msg != "" {
					bad <- msg
					return
				}
				for _, e := range evs[:k] {
					g, i := int(e.Data>>16), int(e.Data&0xffff)
					if g >= workers || i%1000 >= perWorker || e.Events != ep.Readable {
						bad <- "unexpected event " + fmtEvents([]ep.Event{e})
						return
					}
				}
			}
		})
		var workersWG sync.WaitGroup
		for g := range workers {
			workersWG.Go(func() {
				for round := range rounds {
					for i, fd := range fds[g] {
						data := uint64(g)<<16 | uint64(i)
						mode := ep.Events(0)
						if (round+i)%2 == 1 {
							mode = ep.EdgeTriggered
						}
						if err := p.Add(fd, ep.Readable|mode, data); err != nil {
							f.t.Errorf("worker %d: Add(%d): %v", g, fd, err)
							return
						}
						if err := p.Modify(fd, ep.Readable, data+1000); err != nil {
							f.t.Errorf("worker %d: Modify(%d): %v", g, fd, err)
							return
						}
						if err := p.Delete(fd); err != nil {
							f.t.Errorf("worker %d: Delete(%d): %v", g, fd, err)
							return
						}
					}
				}
			})
		}
		workersWG.Wait()
		stop.Store(true)
		_ = p.Wake()
		waiter.Wait()
		close(bad)
		for msg := range bad {
			f.t.Fatal(msg)
		}
		// Everything was deleted.
		f.wait(p, 4, 0) // a pending Wake may remain
		f.expectNone(p)
	}),
	// Linux selftest epoll64: two blocked waiters, one level-triggered
	// event: both wake.
	par("TwoWaitersLevel", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable, 1)
		ch1, ch2 := waitAsync(p, 4, -1), waitAsync(p, 4, -1)
		f.stillBlocked(ch1, quiet, "first waiter")
		f.stillBlocked(ch2, 0, "second waiter")
		f.write(w, []byte("x"))
		for i, ch := range []<-chan waitResult{ch1, ch2} {
			res := f.receive(ch, "waiter")
			f.check(res.err, "waiter %d", i)
			if !sameEvents(res.evs, []ep.Event{ev(ep.Readable, 1)}) {
				f.t.Fatalf("waiter %d: %v, want {readable 0x1}", i, fmtEvents(res.evs))
			}
		}
	}),
	// Linux selftests epoll9-12: two waiters, one edge: with the kernel's
	// edge triggering (epoll, kqueue) exactly one reports it; elsewhere at
	// least one.
	par("TwoWaitersEdge", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable|ep.EdgeTriggered, 1)
		const d = time.Second
		ch1, ch2 := waitAsync(p, 4, d), waitAsync(p, 4, d)
		time.Sleep(quiet)
		f.write(w, []byte("x"))
		got := 0
		for i, ch := range []<-chan waitResult{ch1, ch2} {
			res := f.receive(ch, "waiter")
			f.check(res.err, "waiter %d", i)
			switch {
			case len(res.evs) == 0:
			case sameEvents(res.evs, []ep.Event{ev(ep.Readable, 1)}):
				got++
			default:
				f.t.Fatalf("waiter %d: %v", i, fmtEvents(res.evs))
			}
		}
		if got == 0 || (f.target.Caps.KernelEdge && got != 1) {
			f.t.Fatalf("one edge with two waiters reported %d times", got)
		}
	}),
	// Linux selftest epoll60: ten edge-triggered fds, ten waiters with room
	// for one event each: all wake and every fd is reported.
	par("EdgeWaitersAllWake", func(f *fixture) {
		p := f.poller()
		const n = 10
		ws := make([]int, n)
		for i := range n {
			var r int
			r, ws[i] = f.pipe()
			f.add(p, r, ep.Readable|ep.EdgeTriggered, uint64(i))
		}
		chs := make([]<-chan waitResult, n)
		for i := range n {
			chs[i] = waitAsync(p, 1, -1)
		}
		time.Sleep(quiet)
		for _, w := range ws {
			f.write(w, []byte("x"))
		}
		seen := map[uint64]int{}
		for i, ch := range chs {
			res := f.receive(ch, "edge waiter")
			f.check(res.err, "waiter %d", i)
			for _, e := range res.evs {
				seen[e.Data]++
			}
		}
		if f.target.Caps.KernelEdge {
			for i := range uint64(n) {
				if seen[i] != 1 {
					f.t.Fatalf("fd %d reported %d times to %d waiters (%v), want once", i, seen[i], n, seen)
				}
			}
			return
		}
		// Emulated edge triggering: every fd is reported at least once,
		// possibly to a later Wait.
		for range 2 * n {
			if len(seen) == n {
				break
			}
			for _, e := range f.wait(p, n, 0) {
				seen[e.Data]++
			}
		}
		if len(seen) != n {
			f.t.Fatalf("only %d of %d edge-triggered fds reported: %v", len(seen), n, seen)
		}
	}),
}

// closeRaces is appended to concurrencyCases.
var closeRaces = par("CloseRacesOperations", func(f *fixture) {
	// Close while other goroutines add, delete, wake and wait: every call
	// returns nil or ErrClosed, and nothing hangs.
	p := f.poller()
	fds := make([]int, 8)
	for i := range fds {
		fds[i], _ = f.readyPipe(1)
	}
	okErr := func(what string, err error) {
		if err != nil && !errors.Is(err, ep.ErrClosed) && !errors.Is(err, syscall.EEXIST) && !errors.Is(err, syscall.ENOENT) {
			f.t.Errorf("%s during Close: %v", what, err)
		}
	}
	var wg sync.WaitGroup
	var closed atomic.Bool
	for g := range 2 {
		wg.Go(func() {
			evs := make([]ep.Event, 4)
			for !closed.Load() {
				_, err := p.Wait(evs, 5*time.Millisecond)
				okErr("Wait", err)
			}
			// After Close every call fails with ErrClosed.
			_, err := p.Wait(evs, -1)
			if !errors.Is(err, ep.ErrClosed) {
				f.t.Errorf("waiter %d: Wait after Close: %v, want ErrClosed", g, err)
			}
		})
	}
	wg.Go(func() {
		for i := 0; !closed.Load(); i++ {
			fd := fds[i%len(fds)]
			okErr("Add", p.Add(fd, ep.Readable, uint64(i%len(fds))))
			okErr("Wake", p.Wake())
			okErr("Delete", p.Delete(fd))
		}
	})
	time.Sleep(30 * time.Millisecond)
	f.check(p.Close(), "Close")
	closed.Store(true)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(patience):
		f.t.Fatalf("goroutines still blocked %v after Close", patience)
	}
})

// exclusiveCases cover the Exclusive mode (epoll only).
var exclusiveCases = []testCase{
	par("ExclusiveAdd", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		err := p.Add(r, ep.Readable|ep.Exclusive, 1)
		if !f.target.Caps.Exclusive {
			f.wantErr(err, "Add with Exclusive", errors.ErrUnsupported, ep.ErrUnsupported)
			f.wantErr(p.Delete(r), "Delete after refused Add", syscall.ENOENT)
			return
		}
		f.check(err, "Add with Exclusive")
		f.expect(p, ev(ep.Readable, 1))
		f.del(p, r)
		f.expectNone(p)
	}),
	par("ExclusiveEdge", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		err := p.Add(r, ep.Readable|ep.Writable|ep.EdgeTriggered|ep.Exclusive, 1)
		if !f.target.Caps.Exclusive {
			f.wantErr(err, "Add with Exclusive", errors.ErrUnsupported, ep.ErrUnsupported)
			return
		}
		f.check(err, "Add with Exclusive|EdgeTriggered")
		f.write(w, []byte("x"))
		f.expect(p, ev(ep.Readable, 1))
		f.expectNone(p)
	}),
	par("ExclusiveModifyEINVAL", func(f *fixture) {
		if !f.target.Caps.Exclusive {
			f.t.Skip("Exclusive registrations are not supported by this backend (ExclusiveAdd checks the refusal)")
		}
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable|ep.Exclusive, 1)
		f.wantErr(p.Modify(r, ep.Readable, 2), "Modify of an exclusive registration", syscall.EINVAL)
		f.wantErr(p.Modify(r, ep.Readable|ep.Exclusive, 2), "Modify of an exclusive registration with Exclusive", syscall.EINVAL)
		// Unchanged.
		f.expect(p, ev(ep.Readable, 1))
	}),
	par("ModifyAddsExclusiveEINVAL", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, 1)
		f.wantErr(p.Modify(r, ep.Readable|ep.Exclusive, 2), "Modify with Exclusive", syscall.EINVAL)
		f.expect(p, ev(ep.Readable, 1))
	}),
	par("ExclusiveInvalidModesEINVAL", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		for _, bad := range []ep.Events{
			ep.Readable | ep.Exclusive | ep.OneShot,
			ep.Readable | ep.Exclusive | ep.ReadHangup,
			ep.Readable | ep.Exclusive | ep.Priority,
		} {
			f.wantErr(p.Add(r, bad, 1), "Add with "+bad.String(), syscall.EINVAL)
		}
		f.wantErr(p.Delete(r), "Delete after refused Adds", syscall.ENOENT)
	}),
	par("ExclusiveTwoPollers", func(f *fixture) {
		if !f.target.Caps.Exclusive {
			f.t.Skip("Exclusive registrations are not supported by this backend (ExclusiveAdd checks the refusal)")
		}
		// Two pollers watch one fd exclusively, one waiter each: at least
		// one wakes with the event (the kernel promises "one or more").
		p1, p2 := f.poller(), f.poller()
		r, w := f.pipe()
		f.add(p1, r, ep.Readable|ep.Exclusive, 1)
		f.add(p2, r, ep.Readable|ep.Exclusive, 2)
		const d = time.Second
		ch1, ch2 := waitAsync(p1, 4, d), waitAsync(p2, 4, d)
		time.Sleep(quiet)
		f.write(w, []byte("x"))
		got := 0
		for i, ch := range []<-chan waitResult{ch1, ch2} {
			res := f.receive(ch, "waiter")
			f.check(res.err, "waiter %d", i)
			got += len(res.evs)
		}
		if got == 0 {
			f.t.Fatalf("no exclusive waiter woke for the event")
		}
	}),
}
