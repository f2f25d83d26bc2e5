package eventpolltest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// waiterCases wait on one Poller from many goroutines at once, the way the
// kernel allows (fs/eventpoll.c: ep_poll, ep_send_events): one readiness
// change of an edge-triggered or one-shot registration is reported to
// exactly one waiter, a Modify or Add from another goroutine wakes a
// blocked Wait, and no waiter sleeps while an armed, ready registration is
// left unreported. They hold for every backend: the emulated ones (poll,
// select) too. Their iteration counts are small by default; EVENTPOLL_LONG=1
// multiplies them (run that under -race).
var waiterCases = []testCase{
	par("WaitersEdgeChangeOnce", func(f *fixture) { oneChangeOneWaiter(f, ep.EdgeTriggered) }),
	par("WaitersOneShotChangeOnce", func(f *fixture) { oneChangeOneWaiter(f, ep.OneShot) }),
	par("WaitersModifyRearmWakes", modifyRearmWakes),
	par("WaitersAllWake", allWaitersWake),
	par("WaitersManyFds", manyWaitersManyFds),
	par("WaitersWakeLeavesOthersWatching", wakeLeavesOthersWatching),
}

// longMode reports whether EVENTPOLL_LONG=1 asks for long iteration counts.
func longMode() bool { return os.Getenv("EVENTPOLL_LONG") == "1" }

// iterations returns short by default and long in long mode.
func iterations(short, long int) int {
	if longMode() {
		return long
	}
	return short
}

// oneChangeOneWaiter: ten goroutines wait on one pipe registered with mode
// (EdgeTriggered or OneShot). The main goroutine writes one byte, and
// writes the next only after a waiter has read it and read again to EAGAIN
// (and, for OneShot, re-armed with Modify). Each byte is one readiness
// change, so exactly one waiter may report it: a waiter whose event finds
// the pipe empty saw a change another waiter had already been given.
func oneChangeOneWaiter(f *fixture, mode ep.Events) {
	p := f.poller()
	r, w := f.pipe()
	f.add(p, r, ep.Readable|mode, 1)
	const waiters = 10
	rounds := iterations(300, 20000)
	consumed := make(chan int, waiters)
	bad := make(chan string, waiters)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := range waiters {
		wg.Go(func() {
			evs := make([]ep.Event, 4)
			buf := make([]byte, 64)
			for !stop.Load() {
				n, err := p.Wait(evs, 100*time.Millisecond)
				if err != nil {
					bad <- fmt.Sprintf("waiter %d: Wait: %v", g, err)
					return
				}
				if msg := resultProblem(evs[:n]); msg != "" {
					bad <- fmt.Sprintf("waiter %d: %s", g, msg)
					return
				}
				if n == 0 {
					continue
				}
				if n != 1 || evs[0] != ev(ep.Readable, 1) {
					bad <- fmt.Sprintf("waiter %d: Wait = %v, want {readable 0x1}", g, fmtEvents(evs[:n]))
					return
				}
				got := 0
				for {
					k, err := f.k.Read(r, buf)
					if errors.Is(err, syscall.EAGAIN) {
						break
					}
					if err != nil || k == 0 {
						bad <- fmt.Sprintf("waiter %d: Read: %d, %v", g, k, err)
						return
					}
					got += k
				}
				if got == 0 {
					bad <- fmt.Sprintf("waiter %d: reported a change another waiter had already been given (the read found EAGAIN)", g)
					return
				}
				if mode&ep.OneShot != 0 {
					if err := p.Modify(r, ep.Readable|mode, 1); err != nil {
						bad <- fmt.Sprintf("waiter %d: Modify: %v", g, err)
						return
					}
				}
				consumed <- got
			}
		})
	}
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()
	for i := range rounds {
		f.write(w, []byte{'x'})
		select {
		case got := <-consumed:
			if got != 1 {
				f.t.Fatalf("round %d: a waiter read %d bytes, want 1", i, got)
			}
		case msg := <-bad:
			f.t.Fatalf("round %d: %s", i, msg)
		case <-time.After(patience):
			f.t.Fatalf("round %d: no waiter of %d reported the write within %v", i, waiters, patience)
		}
	}
	// A late duplicate report of the last change would show up here.
	time.Sleep(quiet)
	select {
	case msg := <-bad:
		f.t.Fatal(msg)
	case got := <-consumed:
		f.t.Fatalf("a waiter reported %d bytes after the last write was consumed", got)
	default:
	}
}

// modifyRearmWakes: an always-readable one-shot registration and four
// waiters; another goroutine re-arms it with Modify each time a waiter
// reports it. A Wait that started before a re-arming Modify must be woken
// by it, so the registration never stays armed and unreported while
// waiters sleep, and no Wait(1s) returns 0 while it is armed and unclaimed.
func modifyRearmWakes(f *fixture) {
	p := f.poller()
	r, _ := f.readyPipe(1)
	f.add(p, r, ep.Readable|ep.OneShot, 1)
	const waiters = 4
	rounds := iterations(2000, 100000)
	const wait = time.Second
	const lag = 200 * time.Millisecond // longest a ready item may stay unclaimed (CPU stalls)
	var mu sync.Mutex
	armed, armedAt := true, time.Now()
	claims := make(chan struct{}, waiters)
	bad := make(chan string, waiters)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := range waiters {
		wg.Go(func() {
			evs := make([]ep.Event, 4)
			for !stop.Load() {
				n, err := p.Wait(evs, wait)
				now := time.Now()
				if err != nil {
					bad <- fmt.Sprintf("waiter %d: Wait: %v", g, err)
					return
				}
				mu.Lock()
				switch {
				case n == 0 && armed && now.Sub(armedAt) > lag && !stop.Load():
					bad <- fmt.Sprintf("waiter %d: Wait(%v) returned 0 although the one-shot fd was re-armed %v earlier and nobody had reported it", g, wait, now.Sub(armedAt))
				case n == 1 && evs[0] == ev(ep.Readable, 1) && armed:
					armed = false
					if d := now.Sub(armedAt); d > wait {
						bad <- fmt.Sprintf("waiter %d: the re-armed fd was reported only %v after Modify", g, d)
					}
				case n != 0:
					bad <- fmt.Sprintf("waiter %d: Wait = %v while the one-shot fd was disabled (armed=%v)", g, fmtEvents(evs[:n]), armed)
				}
				mu.Unlock()
				if n == 1 {
					claims <- struct{}{}
				}
			}
		})
	}
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()
	for i := range rounds {
		select {
		case <-claims:
		case msg := <-bad:
			f.t.Fatalf("round %d: %s", i, msg)
		case <-time.After(patience):
			f.t.Fatalf("round %d: the re-armed one-shot fd was not reported to any of %d waiters within %v", i, waiters, patience)
		}
		mu.Lock()
		armed, armedAt = true, time.Now()
		err := p.Modify(r, ep.Readable|ep.OneShot, 1)
		mu.Unlock()
		f.check(err, "round %d: Modify (re-arm)", i)
	}
	select {
	case msg := <-bad:
		f.t.Fatal(msg)
	default:
	}
}

// allWaitersWake is Linux selftest epoll60 in rounds: ten edge-triggered
// pipes, ten waiters with room for one event each; all ten pipes are
// written at once and every waiter must wake with a different one.
//
// A round counts only when the writes were done within half the timeout
// of the first Wait: on a loaded machine the writing goroutine can be kept
// from running until the waiters time out (seen with Go 1.26 under -race,
// GOMAXPROCS=4 on two CPUs: the main goroutine, woken by the last waiter's
// ready.Done, ran only when the Waits' system calls returned a second
// later, on poll and select alike), and then sleeping through the timeout
// is right. Such rounds still check that no fd is reported twice.
func allWaitersWake(f *fixture) {
	p := f.poller()
	const n = 10
	rs, ws := make([]int, n), make([]int, n)
	for i := range n {
		rs[i], ws[i] = f.pipe()
		f.add(p, rs[i], ep.Readable|ep.EdgeTriggered, uint64(i))
	}
	rounds := iterations(40, 3000)
	const wait = time.Second
	inconclusive := 0
	for round := range rounds {
		var ready sync.WaitGroup
		ready.Add(n)
		results := make(chan waitResult, n)
		var firstWait atomic.Int64 // when the first Wait began (UnixNano)
		for range n {
			go func() {
				evs := make([]ep.Event, 1)
				ready.Done()
				firstWait.CompareAndSwap(0, time.Now().UnixNano())
				k, err := p.Wait(evs, wait)
				results <- waitResult{evs: evs[:max(k, 0)], err: err, at: time.Now()}
			}()
		}
		ready.Wait()
		if round%2 == 0 {
			time.Sleep(time.Millisecond) // most waiters blocked; odd rounds race the writes
		}
		writing := time.Now()
		for _, w := range ws {
			f.write(w, []byte{'x'})
		}
		written := time.Now()
		seen := map[uint64]int{}
		var slept []string
		for range n {
			res := <-results
			f.check(res.err, "round %d: Wait", round)
			if len(res.evs) == 0 {
				slept = append(slept, res.at.Format("15:04:05.000"))
			}
			for _, e := range res.evs {
				seen[e.Data]++
			}
		}
		for i := range uint64(n) {
			if seen[i] > 1 {
				f.t.Fatalf("round %d: fd %d reported %d times to %d waiters with room for one event each (%v), want once", round, i, seen[i], n, seen)
			}
		}
		left := make([]int, n)
		for i, r := range rs {
			if left[i] = f.drain(r); left[i] != 1 {
				f.t.Fatalf("round %d: drained %d bytes from pipe %d, want 1", round, left[i], i)
			}
		}
		began := time.Unix(0, firstWait.Load())
		if written.Sub(began) > wait/2 {
			inconclusive++
			continue
		}
		if len(slept) > 0 || len(seen) != n {
			f.t.Fatalf("round %d: %d of %d waiters slept through Wait(%v) with %d edge-triggered fds written at once (reported: %v; the first Wait began %s, the writes ran from %s to %s, the sleepers returned at %v)",
				round, len(slept), n, wait, n, seen, began.Format("15:04:05.000000"), writing.Format("15:04:05.000000"), written.Format("15:04:05.000000"), slept)
		}
	}
	if inconclusive == rounds {
		f.t.Fatalf("all %d rounds inconclusive: the writes never came within %v of the first Wait", rounds, wait/2)
	}
	if inconclusive > 0 {
		f.t.Logf("%d of %d rounds inconclusive (the writing goroutine ran only after %v)", inconclusive, rounds, wait/2)
	}
}

// manyWaitersManyFds: eight waiters and 32 pipes registered level-triggered,
// edge-triggered and one-shot; four writers write to random pipes while the
// waiters read what they are told about (to EAGAIN, re-arming one-shot
// registrations with Modify). Every byte written must be read: no
// readiness change is lost whichever waiter it reaches.
func manyWaitersManyFds(f *fixture) {
	p := f.poller()
	const waiters, fds, writers = 8, 32, 4
	writes := iterations(400, 20000) // per writer
	rs, ws := make([]int, fds), make([]int, fds)
	modes := []ep.Events{0, ep.EdgeTriggered, ep.OneShot}
	for i := range fds {
		rs[i], ws[i] = f.pipe()
		f.add(p, rs[i], ep.Readable|modes[i%len(modes)], uint64(i))
	}
	var read, written atomic.Int64
	bad := make(chan string, waiters+writers)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := range waiters {
		wg.Go(func() {
			evs := make([]ep.Event, 1+g%4)
			buf := make([]byte, 256)
			for !stop.Load() {
				n, err := p.Wait(evs, 50*time.Millisecond)
				if err != nil {
					bad <- fmt.Sprintf("waiter %d: Wait: %v", g, err)
					return
				}
				if msg := resultProblem(evs[:n]); msg != "" {
					bad <- fmt.Sprintf("waiter %d: %s", g, msg)
					return
				}
				for _, e := range evs[:n] {
					i := int(e.Data)
					if i >= fds || e.Events != ep.Readable {
						bad <- fmt.Sprintf("waiter %d: unexpected event %v", g, fmtEvents([]ep.Event{e}))
						return
					}
					for {
						k, err := f.k.Read(rs[i], buf)
						if errors.Is(err, syscall.EAGAIN) {
							break
						}
						if err != nil || k == 0 {
							bad <- fmt.Sprintf("waiter %d: Read(pipe %d): %d, %v", g, i, k, err)
							return
						}
						read.Add(int64(k))
					}
					if modes[i%len(modes)] == ep.OneShot {
						if err := p.Modify(rs[i], ep.Readable|ep.OneShot, uint64(i)); err != nil {
							bad <- fmt.Sprintf("waiter %d: Modify(pipe %d): %v", g, i, err)
							return
						}
					}
				}
			}
		})
	}
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()
	var wwg sync.WaitGroup
	for g := range writers {
		wwg.Go(func() {
			x := uint32(g*7919 + 1)
			for range writes {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				if _, err := f.k.Write(ws[int(x%fds)], []byte{'x'}); err != nil {
					bad <- fmt.Sprintf("writer %d: Write: %v", g, err)
					return
				}
				written.Add(1)
				if x%16 == 0 {
					time.Sleep(10 * time.Microsecond)
				}
			}
		})
	}
	wwg.Wait()
	deadline := time.Now().Add(patience)
	for read.Load() != written.Load() {
		select {
		case msg := <-bad:
			f.t.Fatal(msg)
		default:
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%d of %d bytes written were read within %v after the last write: readiness lost", read.Load(), written.Load(), patience)
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case msg := <-bad:
		f.t.Fatal(msg)
	default:
	}
}

// wakeLeavesOthersWatching: two Waits are blocked; an empty pipe is added
// (which interrupts them), then Wake makes one of them return. The other
// must still be watching the interest set as it is now: when the pipe is
// written it reports it. (Emulated backends: the Wait that drained the
// interrupt must not leave the other asleep on its old copy.)
func wakeLeavesOthersWatching(f *fixture) {
	p := f.poller()
	rounds := iterations(300, 5000)
	const wait = 2 * time.Second
	inconclusive := 0
	for round := range rounds {
		r, w := f.pipe()
		results := make(chan waitResult, 2)
		started := time.Now()
		for range 2 {
			go func() {
				evs := make([]ep.Event, 4)
				k, err := p.Wait(evs, wait)
				results <- waitResult{evs: evs[:max(k, 0)], err: err, at: time.Now()}
			}()
		}
		time.Sleep(time.Millisecond)
		f.add(p, r, ep.Readable, uint64(round))
		f.check(p.Wake(), "Wake")
		first := <-results
		f.check(first.err, "round %d: Wait", round)
		var second waitResult
		select {
		case second = <-results:
			// Both returned (a Wake may end more than one Wait): nothing
			// to check.
			inconclusive++
		case <-time.After(5 * time.Millisecond):
			written := time.Now()
			f.write(w, []byte{'x'})
			second = f.receive(results, "the Wait that Wake did not end")
			f.check(second.err, "round %d: Wait", round)
			switch {
			case written.Sub(started) > wait/2:
				inconclusive++ // too slow a machine: the other Wait may have timed out before the write
			case len(second.evs) == 0 && second.at.Sub(started) < wait:
				inconclusive++ // it was the Wake's too, only late to return
			case len(second.evs) == 0:
				f.t.Fatalf("round %d: after Add, Wake and a write, the other blocked Wait(%v) slept through its timeout (it returned after %v; the Wait the Wake ended returned %v after %v)", round, wait, second.at.Sub(started), fmtEvents(first.evs), first.at.Sub(started))
			case len(second.evs) != 1 || second.evs[0] != ev(ep.Readable, uint64(round)):
				f.t.Fatalf("round %d: after Add, Wake and a write, the other blocked Wait(%v) returned %v, want {readable %#x}", round, wait, fmtEvents(second.evs), round)
			case second.at.Sub(written) > wait/2:
				f.t.Fatalf("round %d: the other blocked Wait(%v) reported the write only after %v (it slept on an old copy of the interest set)", round, wait, second.at.Sub(written))
			}
		}
		f.check(second.err, "round %d: Wait", round)
		f.del(p, r)
		f.closeFD(r)
		f.closeFD(w)
	}
	f.t.Logf("%d of %d rounds inconclusive (both Waits ended by the Wake, or the machine too slow)", inconclusive, rounds)
}
