package eventpolltest

import (
	"errors"
	"syscall"

	ep "github.com/eventpoll/eventpoll"
)

// oneShotCases cover OneShot: one report, then disabled but registered
// until Modify re-arms it.
var oneShotCases = []testCase{
	par("OneShotOnce", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable|ep.OneShot, 5)
		f.expect(p, ev(ep.Readable, 5))
		// Still readable, but disabled.
		f.expectNone(p)
	}),
	par("OneShotNoHangupWhenDisabled", func(f *fixture) {
		p := f.poller()
		r, w := f.readyPipe(1)
		f.add(p, r, ep.Readable|ep.OneShot, 5)
		f.expect(p, ev(ep.Readable, 5))
		f.closeFD(w)
		// Error and hangup are not reported for a disabled registration either.
		f.expectNone(p)
	}),
	par("OneShotStillRegistered", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable|ep.OneShot, 5)
		f.expect(p, ev(ep.Readable, 5))
		f.wantErr(p.Add(r, ep.Readable, 6), "Add of a disabled one-shot fd", syscall.EEXIST)
		f.del(p, r)
		f.wantErr(p.Delete(r), "second Delete", syscall.ENOENT)
		f.add(p, r, ep.Readable, 7)
		f.expect(p, ev(ep.Readable, 7))
	}),
	par("OneShotModifyRearms", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable|ep.OneShot, 5)
		f.expectNone(p)
		f.write(w, []byte("x"))
		f.expect(p, ev(ep.Readable, 5))
		f.expectNone(p)
		// Re-armed while ready: reported at once, then disabled again.
		f.modify(p, r, ep.Readable|ep.OneShot, 6)
		f.expectNow(p, ev(ep.Readable, 6))
		f.expectNone(p)
		// Re-armed while not ready: reported when data arrives.
		f.drain(r)
		f.modify(p, r, ep.Readable|ep.OneShot, 7)
		f.expectNone(p)
		f.write(w, []byte("y"))
		f.expect(p, ev(ep.Readable, 7))
		f.expectNone(p)
	}),
	par("OneShotWritable", func(f *fixture) {
		p := f.poller()
		a, _ := f.socketpair()
		f.add(p, a, ep.Writable|ep.OneShot, 5)
		f.expect(p, ev(ep.Writable, 5))
		f.expectNone(p)
		f.modify(p, a, ep.Writable|ep.OneShot, 6)
		f.expect(p, ev(ep.Writable, 6))
		f.expectNone(p)
	}),
}

// hangupCases cover Hangup, ReadHangup and Error on pipes and socket pairs.
var hangupCases = []testCase{
	par("PipeHangup", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable, 1)
		f.closeFD(w)
		f.expect(p, ev(ep.Hangup, 1))
		f.wantRead(r, "")
		// Level-triggered: the hangup stays.
		f.expect(p, ev(ep.Hangup, 1))
	}),
	par("PipeHangupWithData", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable, 1)
		f.write(w, []byte("ab"))
		f.closeFD(w)
		f.expect(p, ev(ep.Readable|ep.Hangup, 1))
		// Hangup is not end of file: the data comes first.
		f.wantRead(r, "ab")
		f.wantRead(r, "")
		f.expect(p, ev(ep.Hangup, 1))
	}),
	par("PipeReaderClosed", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, w, ep.Writable, 1)
		f.expect(p, ev(ep.Writable, 1))
		f.closeFD(r)
		f.expect(p, ev(ep.Writable|ep.Error, 1))
		_, err := f.k.Write(w, []byte("x"))
		f.wantErr(err, "Write to a pipe without reader", syscall.EPIPE)
	}),
	par("HangupAlwaysReported", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, 0, 1)
		f.write(w, []byte("x"))
		f.expectNone(p)
		f.closeFD(w)
		f.expect(p, ev(ep.Hangup, 1))
	}),
	par("ErrorAlwaysReported", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, w, 0, 1)
		f.expectNone(p)
		f.closeFD(r)
		f.expect(p, ev(ep.Error, 1))
	}),
	par("EdgeHangup", func(f *fixture) {
		p := f.poller()
		r, w := f.pipe()
		f.add(p, r, ep.Readable|ep.EdgeTriggered, 1)
		f.expectNone(p)
		f.closeFD(w)
		f.expect(p, ev(ep.Hangup, 1))
		f.wantRead(r, "")
	}),
	par("SocketpairPeerClose", func(f *fixture) {
		p := f.poller()
		a, b := f.socketpair()
		f.add(p, a, ep.Readable|ep.ReadHangup, 1)
		f.expectNone(p)
		f.closeFD(b)
		f.expect(p, ev(ep.Readable|ep.ReadHangup|ep.Hangup, 1))
		f.wantRead(a, "")
	}),
	par("SocketpairShutdownWrite", func(f *fixture) {
		p := f.poller()
		a, b := f.socketpair()
		f.add(p, a, ep.Readable|ep.ReadHangup, 1)
		f.write(b, []byte("hi"))
		f.check(f.k.Shutdown(b, syscall.SHUT_WR), "Shutdown(SHUT_WR)")
		if !f.target.Caps.ReadHangup {
			f.halfClosedFallback(p, 1, "after peer SHUT_WR")
			f.wantRead(a, "hi")
			f.wantRead(a, "")
			f.write(a, []byte("back"))
			f.wantRead(b, "back")
			f.halfClosedFallback(p, 1, "after end of file was read")
			f.skipNoReadHangup("Readable with no Hangup, the data then a read of 0, the other direction still open")
		}
		f.expect(p, ev(ep.Readable|ep.ReadHangup, 1))
		f.wantRead(a, "hi")
		f.wantRead(a, "")
		// The other direction still works.
		f.write(a, []byte("back"))
		f.wantRead(b, "back")
		f.expect(p, ev(ep.Readable|ep.ReadHangup, 1))
	}),
	par("LocalShutdownHangup", func(f *fixture) {
		p := f.poller()
		a, _ := f.socketpair()
		f.add(p, a, ep.Readable|ep.ReadHangup, 1)
		f.expectNone(p)
		// Both directions shut down locally: hangup, and reads return 0.
		f.check(f.k.Shutdown(a, syscall.SHUT_RDWR), "Shutdown(SHUT_RDWR)")
		f.expect(p, ev(ep.Readable|ep.ReadHangup|ep.Hangup, 1))
		f.wantRead(a, "")
	}),
	par("ReadHangupOnlyWhenAsked", func(f *fixture) {
		p := f.poller()
		a, b := f.socketpair()
		f.add(p, a, ep.Readable, 1)
		f.check(f.k.Shutdown(b, syscall.SHUT_WR), "Shutdown(SHUT_WR)")
		f.expect(p, ev(ep.Readable, 1))
		if !f.target.Caps.ReadHangup {
			f.wantRead(a, "")
			f.skipNoReadHangup("Readable only (no ReadHangup, not asked), a read of 0")
		}
		f.modify(p, a, ep.ReadHangup, 2)
		f.expect(p, ev(ep.ReadHangup, 2))
	}),
	par("ReadAfterPeerCloseEOF", func(f *fixture) {
		p := f.poller()
		a, b := f.socketpair()
		f.add(p, a, ep.Readable|ep.EdgeTriggered, 1)
		f.write(b, []byte("last"))
		f.closeFD(b)
		// Edge-triggered: one event covers both the data and the hangup.
		f.expect(p, ev(ep.Readable|ep.Hangup, 1))
		f.wantRead(a, "last")
		f.wantRead(a, "")
		_, err := f.k.Write(a, []byte("x"))
		if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
			f.t.Fatalf("Write to a closed peer: %v, want EPIPE or ECONNRESET", err)
		}
	}),
}
