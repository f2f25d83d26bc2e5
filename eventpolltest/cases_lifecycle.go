package eventpolltest

import (
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// rotationCases: when more fds are ready than fit, successive Waits rotate
// through all of them.
var rotationCases = []testCase{
	par("RotationOneSlot", func(f *fixture) {
		rotation(f, 3, 1, 6)
	}),
	par("RotationTwoSlots", func(f *fixture) {
		rotation(f, 3, 2, 4)
	}),
	par("RotationManyFDs", func(f *fixture) {
		rotation(f, 10, 3, 8)
	}),
	// Edge-triggered fds that did not fit stay pending: each is reported
	// once by a later Wait, then nothing.
	par("RotationEdge", func(f *fixture) {
		p := f.poller()
		const fds = 5
		for i := range fds {
			r, _ := f.readyPipe(1)
			f.add(p, r, ep.Readable|ep.EdgeTriggered, uint64(i))
		}
		seen := map[uint64]bool{}
		for w := range fds {
			got := f.wait(p, 1, 0)
			if len(got) != 1 || seen[got[0].Data] {
				f.t.Fatalf("wait %d: %v (seen %v)", w, fmtEvents(got), seen)
			}
			seen[got[0].Data] = true
		}
		f.expectNone(p)
	}),
	par("RotationFairness", func(f *fixture) {
		p := f.poller()
		const fds, waits = 10, 40
		for i := range fds {
			r, _ := f.readyPipe(1)
			f.add(p, r, ep.Readable, uint64(i))
		}
		counts := make([]int, fds)
		for range waits {
			got := f.wait(p, 1, 0)
			if len(got) != 1 {
				f.t.Fatalf("Wait(room 1) with %d ready fds = %v", fds, fmtEvents(got))
			}
			counts[got[0].Data]++
		}
		for i, c := range counts {
			if c < 2 {
				f.t.Fatalf("fd with data %d reported %d times in %d waits of room 1 (%v): starved", i, c, waits, counts)
			}
		}
	}),
}

// rotation registers ready level-triggered fds and requires that waits with
// room for fewer report every one of them within maxWaits, each result full.
func rotation(f *fixture, ready, room, maxWaits int) {
	p := f.poller()
	for i := range ready {
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, uint64(12+2*i))
	}
	seen := map[uint64]int{}
	for w := range maxWaits {
		got := f.wait(p, room, 0)
		if len(got) != room {
			f.t.Fatalf("wait %d: %d ready fds, room %d: got %v", w, ready, room, fmtEvents(got))
		}
		for _, e := range got {
			if e.Events != ep.Readable {
				f.t.Fatalf("wait %d: %v", w, fmtEvents(got))
			}
			seen[e.Data]++
		}
		if len(seen) == ready {
			return
		}
	}
	f.t.Fatalf("%d ready fds, room %d: only %d distinct fds reported in %d waits (%v)", ready, room, len(seen), maxWaits, seen)
}

// lifecycleCases cover Delete, closing registered fds and duplicated fds.
var lifecycleCases = []testCase{
	par("DeleteStopsEvents", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, 1)
		f.expect(p, ev(ep.Readable, 1))
		f.del(p, r)
		f.expectNone(p)
	}),
	par("DeleteThenAddAgain", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable|ep.EdgeTriggered, 1)
		f.expect(p, ev(ep.Readable, 1))
		f.del(p, r)
		// A new registration starts afresh: ready now, so reported.
		f.add(p, r, ep.Readable|ep.EdgeTriggered, 2)
		f.expect(p, ev(ep.Readable, 2))
		f.expectNone(p)
	}),
	par("DeleteThenClose", func(f *fixture) {
		p := f.poller()
		ra, _ := f.readyPipe(1)
		rb, wb := f.pipe()
		f.add(p, ra, ep.Readable, 1)
		f.add(p, rb, ep.Readable, 2)
		f.expect(p, ev(ep.Readable, 1))
		f.del(p, ra)
		f.closeFD(ra)
		f.expectNone(p)
		f.write(wb, []byte("x"))
		f.expect(p, ev(ep.Readable, 2))
	}),
	// Closing a registered fd without Delete is a program error, but the
	// poller must survive it: no Wait fails and other fds are still
	// reported. On a kernel eventpoll the registration disappears with the
	// last descriptor of the file, so the closed fd is never reported again;
	// poll and select may report it once more (as an error) before dropping it.
	par("CloseWithoutDelete", func(f *fixture) {
		p := f.poller()
		ra, _ := f.readyPipe(1)
		rb, wb := f.pipe()
		f.add(p, ra, ep.Readable, 1)
		f.add(p, rb, ep.Readable, 2)
		f.expect(p, ev(ep.Readable, 1))
		f.closeFD(ra)
		f.write(wb, []byte("x"))
		seenB := false
		for i := 0; i < 10 && !seenB; i++ {
			for _, e := range f.wait(p, 8, time.Second) {
				switch e.Data {
				case 2:
					if e.Events != ep.Readable {
						f.t.Fatalf("fd B: %v, want readable", e.Events)
					}
					seenB = true
				case 1:
					if f.target.Caps.KernelEpoll {
						f.t.Fatalf("closed fd reported after its last descriptor was closed: %v", e.Events)
					}
				default:
					f.t.Fatalf("unexpected event %v", fmtEvents([]ep.Event{e}))
				}
			}
		}
		if !seenB {
			f.t.Fatalf("the other fd was not reported after a registered fd was closed")
		}
		if f.target.Caps.KernelEpoll {
			f.drain(rb)
			f.expectNone(p)
		}
	}),
	// Sequential: the closed number must not be reused before Delete.
	seq("CloseDupKeepsRegistration", func(f *fixture) {
		if !f.target.Caps.KernelEpoll {
			f.t.Skip("registrations keyed by open file (stale item after close of one of two descriptors) exist only in a kernel eventpoll; poll, select and kqueue key by fd number (kqueue drops an fd's knotes when that fd is closed)")
		}
		p := f.poller()
		r, w := f.pipe()
		r2 := f.dup(r)
		f.add(p, r, ep.Readable, 5)
		f.closeFD(r)
		// r2 keeps the open file alive: the item still fires with the old data.
		f.write(w, []byte("x"))
		f.expect(p, ev(ep.Readable, 5))
		f.wantErr(p.Delete(r), "Delete of the closed number", syscall.EBADF)
		// Closing the last descriptor removes the item.
		f.closeFD(r2)
		f.expectNone(p)
	}),
	par("DupSeparateRegistration", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		r2 := f.dup(r)
		f.add(p, r, ep.Readable, 1)
		f.add(p, r2, ep.Readable, 2)
		f.wantErr(p.Add(r2, ep.Readable, 3), "second Add of the dup", syscall.EEXIST)
		f.expectNone(p)
		f.write(w, []byte("x"))
		f.expect(p, ev(ep.Readable, 1), ev(ep.Readable, 2))
		f.del(p, r)
		f.expect(p, ev(ep.Readable, 2))
		f.modify(p, r2, ep.Readable, 4)
		f.expect(p, ev(ep.Readable, 4))
	}),
	par("DupCloseOriginal", func(f *fixture) {
		// Delete then close one descriptor: the dup's registration is unaffected.
		p := f.poller()
		r, w := f.pipe()
		r2 := f.dup(r)
		f.add(p, r, ep.Readable, 1)
		f.add(p, r2, ep.Readable, 2)
		f.del(p, r)
		f.closeFD(r)
		f.write(w, []byte("x"))
		f.expect(p, ev(ep.Readable, 2))
	}),
}
