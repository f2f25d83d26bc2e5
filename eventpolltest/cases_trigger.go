package eventpolltest

import (
	"bytes"

	ep "github.com/eventpoll/eventpoll"
)

// triggerCases cover level and edge triggering and Modify's re-check.
var triggerCases = []testCase{
	// The seeds' example: 2 KB written, 1 KB read, wait again.
	par("LevelTriggeredPipe", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable, 7)
		f.write(w, bytes.Repeat([]byte{'a'}, 2048))
		f.expect(p, ev(ep.Readable, 7))
		if got := len(f.read(r, 1024)); got != 1024 {
			f.t.Fatalf("read %d bytes, want 1024", got)
		}
		f.expect(p, ev(ep.Readable, 7))
		f.expectNow(p, ev(ep.Readable, 7))
	}),
	par("EdgeTriggeredPipe", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable|ep.EdgeTriggered, 7)
		f.write(w, bytes.Repeat([]byte{'a'}, 2048))
		f.expect(p, ev(ep.Readable, 7))
		if got := len(f.read(r, 1024)); got != 1024 {
			f.t.Fatalf("read %d bytes, want 1024", got)
		}
		// 1 KB is still buffered but nothing new happened.
		f.expectNone(p)
	}),
	par("EdgeRearmAfterEAGAIN", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable|ep.EdgeTriggered, 7)
		for round := range 3 {
			f.write(w, bytes.Repeat([]byte{'a'}, 100+round))
			f.expect(p, ev(ep.Readable, 7))
			if got := f.drain(r); got != 100+round {
				f.t.Fatalf("round %d: drained %d bytes, want %d", round, got, 100+round)
			}
			f.expectNone(p)
		}
	}),
	par("LevelDrainedQuiet", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable, 7)
		f.write(w, []byte("hello"))
		f.expect(p, ev(ep.Readable, 7))
		f.wantRead(r, "hello")
		f.expectNone(p)
	}),
	par("EmptyPipeQuiet", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.add(p, r, ep.Readable, 1)
		f.expectNone(p)
	}),
	par("LevelWritableRepeats", func(f *fixture) {
		p := f.poller()
		_, w := f.pipe()
		f.add(p, w, ep.Writable, 3)
		for range 3 {
			f.expect(p, ev(ep.Writable, 3))
		}
	}),
	par("EdgeWritableOnce", func(f *fixture) {
		p := f.poller()
		_, w := f.pipe()
		f.add(p, w, ep.Writable|ep.EdgeTriggered, 3)
		f.expect(p, ev(ep.Writable, 3))
		f.expectNone(p)
	}),
	par("MergedWritesLevel", func(f *fixture) {
		mergedWrites(f, 0)
	}),
	par("MergedWritesEdge", func(f *fixture) {
		mergedWrites(f, ep.EdgeTriggered)
	}),
	// Modify re-checks readiness: a still-ready fd is reported at once, even
	// edge-triggered with no new data.
	par("ModifyRepollsEdge", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(10)
		f.add(p, r, ep.Readable|ep.EdgeTriggered, 1)
		f.expect(p, ev(ep.Readable, 1))
		f.expectNone(p)
		f.modify(p, r, ep.Readable|ep.EdgeTriggered, 2)
		f.expectNow(p, ev(ep.Readable, 2))
		f.expectNone(p)
	}),
	// Linux selftest epoll59: Modify on an always-ready edge-triggered fd
	// reports it every time.
	par("ModifyEdgeAlwaysReady", func(f *fixture) {
		p := f.poller()
		_, w := f.pipe()
		f.add(p, w, ep.Writable|ep.EdgeTriggered, 0)
		f.expect(p, ev(ep.Writable, 0))
		for i := uint64(1); i <= 4; i++ {
			f.modify(p, w, ep.Writable|ep.EdgeTriggered, i)
			f.expectNow(p, ev(ep.Writable, i))
		}
		f.expectNone(p)
	}),
	par("ModifyChangesInterest", func(f *fixture) {
		p := f.poller()
		a, b := f.socketpair()
		f.add(p, a, ep.Readable, 1)
		f.expectNone(p)
		f.write(b, []byte("x"))
		f.expect(p, ev(ep.Readable, 1))
		// Data is still pending, but only writability is asked for now.
		f.modify(p, a, ep.Writable, 2)
		f.expect(p, ev(ep.Writable, 2))
		f.modify(p, a, ep.Readable|ep.Writable, 3)
		f.expect(p, ev(ep.Readable|ep.Writable, 3))
	}),
	par("ModifyToNoConditions", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, 1)
		f.expect(p, ev(ep.Readable, 1))
		f.modify(p, r, 0, 2)
		f.expectNone(p)
		f.modify(p, r, ep.Readable, 3)
		f.expect(p, ev(ep.Readable, 3))
	}),
	par("ExactMaskPipe", func(f *fixture) {
		p := f.poller()
		r, w := f.readyPipe(1)
		all := ep.Readable | ep.Writable | ep.Priority | ep.ReadHangup
		f.add(p, r, all, 1)
		f.add(p, w, all, 2)
		// The read end is only readable; the write end only writable.
		f.expect(p, ev(ep.Readable, 1), ev(ep.Writable, 2))
	}),
	par("ReadableAndWritable", func(f *fixture) {
		p := f.poller()
		a, b := f.socketpair()
		f.add(p, a, ep.Readable|ep.Writable, 1)
		f.expect(p, ev(ep.Writable, 1))
		f.write(b, []byte("x"))
		f.expect(p, ev(ep.Readable|ep.Writable, 1))
	}),
}

// mergedWrites: several writes between two Waits give one event.
func mergedWrites(f *fixture, mode ep.Events) {
	p := f.poller()
	r, w := f.pipe()
	f.add(p, r, ep.Readable|mode, 9)
	for range 5 {
		f.write(w, []byte("0123456789"))
	}
	f.expect(p, ev(ep.Readable, 9))
	if got := f.drain(r); got != 50 {
		f.t.Fatalf("drained %d bytes, want 50", got)
	}
	f.expectNone(p)
}
