package eventpolltest

import (
	"bytes"
	"errors"
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// tcpCases cover TCP over loopback: half-close, reset, connect, accept and
// a full send buffer.
var tcpCases = []testCase{
	par("TCPShutdownWrite", func(f *fixture) {
		p := f.poller()
		a, b := f.tcpPair()
		f.add(p, a, ep.Readable|ep.ReadHangup, 1)
		f.write(b, []byte("hello"))
		f.check(f.k.Shutdown(b, syscall.SHUT_WR), "Shutdown(SHUT_WR)")
		if f.target.Caps.ReadHangup {
			got := f.waitFor(p, 1, "read-hangup", has(ep.ReadHangup))
			if got != ep.Readable|ep.ReadHangup {
				f.t.Fatalf("after peer SHUT_WR: %v, want readable|read-hangup (no hangup)", got)
			}
		} else {
			f.halfClosedFallback(p, 1, "after peer SHUT_WR")
		}
		// Data sent before the FIN is still readable, then end of file.
		f.wantRead(a, "hello")
		f.wantRead(a, "")
		// The local side can still write.
		f.write(a, []byte("back"))
		q := f.poller()
		f.add(q, b, ep.Readable, 2)
		f.waitFor(q, 2, "readable", has(ep.Readable))
		f.wantRead(b, "back")
		if !f.target.Caps.ReadHangup {
			f.skipNoReadHangup("Readable with no Hangup, the data then a read of 0, the other direction still open")
		}
	}),
	par("TCPReadHangupOnlyWhenAsked", func(f *fixture) {
		p := f.poller()
		a, b := f.tcpPair()
		f.add(p, a, ep.Readable|ep.ReadHangup, 1)
		f.check(f.k.Shutdown(b, syscall.SHUT_WR), "Shutdown(SHUT_WR)")
		if !f.target.Caps.ReadHangup {
			f.halfClosedFallback(p, 1, "after peer SHUT_WR")
			f.modify(p, a, ep.Readable, 2)
			f.expect(p, ev(ep.Readable, 2))
			f.wantRead(a, "")
			f.skipNoReadHangup("Readable with no Hangup, Readable only once ReadHangup is not asked, a read of 0")
		}
		f.waitFor(p, 1, "read-hangup", has(ep.ReadHangup))
		f.modify(p, a, ep.Readable, 2)
		f.expect(p, ev(ep.Readable, 2))
	}),
	par("TCPPeerClose", func(f *fixture) {
		p := f.poller()
		a, b := f.tcpPair()
		f.add(p, a, ep.Readable|ep.ReadHangup, 1)
		f.write(b, []byte("bye"))
		f.closeFD(b)
		if !f.target.Caps.ReadHangup {
			f.halfClosedFallback(p, 1, "after peer close")
			f.wantRead(a, "bye")
			f.wantRead(a, "")
			f.skipNoReadHangup("Readable with no Hangup (the local side has not shut down), the data then a read of 0")
		}
		got := f.waitFor(p, 1, "read-hangup", has(ep.ReadHangup))
		if got != ep.Readable|ep.ReadHangup {
			f.t.Fatalf("after peer close: %v, want readable|read-hangup (no hangup: the local side has not shut down)", got)
		}
		f.wantRead(a, "bye")
		f.wantRead(a, "")
	}),
	par("TCPReset", func(f *fixture) {
		p := f.poller()
		a, b := f.tcpPair()
		f.add(p, a, ep.Readable|ep.Writable|ep.ReadHangup, 1)
		f.expect(p, ev(ep.Writable, 1))
		f.untrack(b)
		f.check(f.k.Abort(b), "Abort")
		got := f.waitFor(p, 1, "error|hangup", has(ep.Error|ep.Hangup))
		want := ep.Readable | ep.Writable | ep.Error | ep.Hangup | ep.ReadHangup
		if got != want {
			f.t.Fatalf("after peer reset: %v, want %v", got, want)
		}
	}),
	par("TCPResetWriteErrors", func(f *fixture) {
		p := f.poller()
		a, b := f.tcpPair()
		f.add(p, a, ep.Readable, 1)
		f.untrack(b)
		f.check(f.k.Abort(b), "Abort")
		f.waitFor(p, 1, "error|hangup", has(ep.Error|ep.Hangup))
		// The first write reports the reset, later ones a broken pipe; the
		// process is not killed by SIGPIPE.
		_, err := f.k.Write(a, []byte("x"))
		f.wantErr(err, "first Write after reset", syscall.ECONNRESET)
		_, err = f.k.Write(a, []byte("x"))
		f.wantErr(err, "second Write after reset", syscall.EPIPE)
	}),
	par("TCPResetNoInterest", func(f *fixture) {
		p := f.poller()
		a, b := f.tcpPair()
		f.add(p, a, 0, 1)
		f.expectNone(p)
		f.untrack(b)
		f.check(f.k.Abort(b), "Abort")
		got := f.waitFor(p, 1, "error|hangup", has(ep.Error|ep.Hangup))
		if got != ep.Error|ep.Hangup {
			f.t.Fatalf("after peer reset with no conditions asked: %v, want error|hangup", got)
		}
	}),
	par("TCPWritableAfterDrain", func(f *fixture) {
		tcpWritableAfterDrain(f, 0)
	}),
	par("TCPWritableAfterDrainEdge", func(f *fixture) {
		tcpWritableAfterDrain(f, ep.EdgeTriggered)
	}),
	par("TCPConnectWritable", func(f *fixture) {
		p := f.poller()
		ln, addr := f.listen()
		f.add(p, ln, ep.Readable, 1)
		f.expectNone(p)
		c, err := f.k.Connect("tcp4", addr)
		if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
			f.t.Fatalf("Connect: %v", err)
		}
		f.track(c)
		f.add(p, c, ep.Writable, 2)
		f.waitFor(p, 2, "writable", has(ep.Writable))
		f.check(f.k.SocketError(c), "SO_ERROR after connect")
		// The listener is readable while a connection waits to be accepted.
		f.waitFor(p, 1, "readable", has(ep.Readable))
		s, err := f.k.Accept(ln)
		f.check(err, "Accept")
		f.track(s)
		_, err = f.k.Accept(ln)
		f.wantErr(err, "second Accept", syscall.EAGAIN)
		f.del(p, c)
		f.expectNone(p)
	}),
	par("TCPConnectRefused", func(f *fixture) {
		// A port that was just free: listen, note it, close.
		ln, addr := f.listen()
		f.closeFD(ln)
		c, err := f.k.Connect("tcp4", addr)
		if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
			f.wantErr(err, "Connect to a closed port", syscall.ECONNREFUSED)
			return
		}
		f.track(c)
		p := f.poller()
		f.add(p, c, ep.Writable, 1)
		got := f.waitFor(p, 1, "error", has(ep.Error))
		if want := ep.Writable | ep.Error | ep.Hangup; got != want {
			f.t.Fatalf("refused connect: %v, want %v", got, want)
		}
		f.wantErr(f.k.SocketError(c), "SO_ERROR after refused connect", syscall.ECONNREFUSED)
	}),
	par("EdgeListenerDrain", func(f *fixture) {
		p := f.poller()
		ln, addr := f.listen()
		f.add(p, ln, ep.Readable|ep.EdgeTriggered, 1)
		connect := func() {
			c, err := f.k.Connect("tcp4", addr)
			if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
				f.t.Fatalf("Connect: %v", err)
			}
			f.track(c)
		}
		connect()
		connect()
		f.expect(p, ev(ep.Readable, 1))
		// Accept until EAGAIN (the second connection may still be in its
		// handshake); then a new connection is a new edge.
		s, err := f.k.Accept(ln)
		f.check(err, "Accept")
		f.track(s)
		deadline := time.Now().Add(patience)
		accepted := 1
		for accepted < 2 {
			if time.Now().After(deadline) {
				f.t.Fatalf("second connection not accepted within %v", patience)
			}
			s, err := f.k.Accept(ln)
			if errors.Is(err, syscall.EAGAIN) {
				f.wait(p, 4, 100*time.Millisecond)
				continue
			}
			f.check(err, "Accept")
			f.track(s)
			accepted++
		}
		_, err = f.k.Accept(ln)
		f.wantErr(err, "Accept of an empty queue", syscall.EAGAIN)
		f.wait(p, 4, 0) // an edge of the second connection may be pending
		f.expectNone(p)
		connect()
		f.expect(p, ev(ep.Readable, 1))
	}),
	par("UDPReadable", func(f *fixture) {
		a, err := f.k.Listen("udp4", "127.0.0.1:0", ep.ListenOptions{})
		if err != nil {
			f.t.Skipf("the kernel has no UDP sockets: %v", err)
		}
		f.track(a)
		b, err := f.k.Listen("udp4", "127.0.0.1:0", ep.ListenOptions{})
		f.check(err, "Listen udp4")
		f.track(b)
		addr, err := f.k.LocalAddr(a)
		f.check(err, "LocalAddr")
		p := f.poller()
		f.add(p, a, ep.Readable, 1)
		f.add(p, b, ep.Writable, 2)
		f.expect(p, ev(ep.Writable, 2))
		f.modify(p, b, 0, 2)
		for _, msg := range []string{"one", "two"} {
			_, err := f.k.SendTo(b, []byte(msg), addr)
			f.check(err, "SendTo")
		}
		f.waitFor(p, 1, "readable", has(ep.Readable))
		buf := make([]byte, 64)
		for _, want := range []string{"one", "two"} {
			n, _, err := f.k.RecvFrom(a, buf)
			f.check(err, "RecvFrom")
			if string(buf[:n]) != want {
				f.t.Fatalf("RecvFrom = %q, want %q", buf[:n], want)
			}
		}
		f.expectNone(p)
	}),
}

// tcpWritableAfterDrain fills a's send path until writes fail with EAGAIN,
// checks that no writability is reported, lets the peer read everything and
// checks that writability is reported again.
func tcpWritableAfterDrain(f *fixture, mode ep.Events) {
	p := f.poller()
	a, b := f.tcpPair()
	f.check(f.k.SetBuffers(a, 0, 8<<10), "SetBuffers(send 8 KB)")
	f.check(f.k.SetBuffers(b, 8<<10, 0), "SetBuffers(receive 8 KB)")
	f.add(p, a, ep.Writable|mode, 1)
	f.expect(p, ev(ep.Writable, 1))

	chunk := bytes.Repeat([]byte{'z'}, 4096)
	written := 0
	fill := func() {
		for {
			n, err := f.k.Write(a, chunk)
			written += n
			if errors.Is(err, syscall.EAGAIN) {
				return
			}
			f.check(err, "Write while filling")
			if written > 64<<20 {
				f.t.Fatalf("wrote %d bytes without EAGAIN", written)
			}
		}
	}
	// Loopback may still move a little data after the first EAGAIN; fill
	// until a quiet Wait confirms the socket is not writable.
	full := false
	for range 20 {
		fill()
		if len(f.wait(p, 4, quiet)) == 0 {
			full = true
			break
		}
	}
	if !full {
		f.t.Fatalf("socket still reported writable after %d bytes and 20 refills", written)
	}

	// The peer reads everything.
	q := f.poller()
	f.add(q, b, ep.Readable, 2)
	read := 0
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(patience)
	for read < written {
		if time.Now().After(deadline) {
			f.t.Fatalf("peer read %d of %d bytes within %v", read, written, patience)
		}
		f.wait(q, 4, 100*time.Millisecond)
		for {
			n, err := f.k.Read(b, buf)
			if errors.Is(err, syscall.EAGAIN) {
				break
			}
			f.check(err, "peer Read")
			if n == 0 {
				f.t.Fatalf("peer got end of file after %d of %d bytes", read, written)
			}
			read += n
		}
	}
	f.waitFor(p, 1, "writable", has(ep.Writable))
}
