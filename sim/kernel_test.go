package sim_test

import (
	"bytes"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/sim"
)

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErrno(t *testing.T, err error, want syscall.Errno, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, sim.ErrnoName(want))
	}
}

func TestFDTableLowestFreeAndEBADF(t *testing.T) {
	k := sim.New(sim.Config{})
	r, w, err := k.Pipe()
	must(t, err, "Pipe")
	if r != 0 || w != 1 {
		t.Fatalf("first pipe = %d %d, want 0 1", r, w)
	}
	a, b, err := k.Socketpair()
	must(t, err, "Socketpair")
	if a != 2 || b != 3 {
		t.Fatalf("socketpair = %d %d, want 2 3", a, b)
	}
	must(t, k.Close(1), "Close(1)")
	d, err := k.Dup(a)
	must(t, err, "Dup")
	if d != 1 {
		t.Fatalf("Dup = %d, want the lowest free number 1", d)
	}
	wantErrno(t, k.Close(7), syscall.EBADF, "Close of an unused fd")
	_, err = k.Read(-1, make([]byte, 1))
	wantErrno(t, err, syscall.EBADF, "Read(-1)")
	must(t, k.Close(0), "Close(0)")
	_, err = k.Write(0, []byte("x"))
	wantErrno(t, err, syscall.EBADF, "Write to a closed fd")
	if n := k.OpenFDs(); n != 3 {
		t.Fatalf("OpenFDs = %d, want 3", n)
	}
}

func TestFDTableEMFILE(t *testing.T) {
	k := sim.New(sim.Config{MaxFDs: 4})
	r, _, err := k.Pipe()
	must(t, err, "Pipe")
	_, _, err = k.Pipe()
	must(t, err, "second Pipe")
	_, _, err = k.Pipe()
	wantErrno(t, err, syscall.EMFILE, "third Pipe")
	_, err = k.Dup(r)
	wantErrno(t, err, syscall.EMFILE, "Dup at the limit")
	_, err = k.NewPoller("")
	if !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("NewPoller at the limit: %v, want EMFILE", err)
	}
	if n := k.OpenFDs(); n != 4 {
		t.Fatalf("failed opens leaked: OpenFDs = %d, want 4", n)
	}
}

func TestDupSharesOpenFile(t *testing.T) {
	k := sim.New(sim.Config{})
	r, w, _ := k.Pipe()
	w2, err := k.Dup(w)
	must(t, err, "Dup")
	must(t, k.Close(w), "Close original")
	_, err = k.Write(w2, []byte("via dup"))
	must(t, err, "Write through the duplicate")
	buf := make([]byte, 16)
	n, err := k.Read(r, buf)
	must(t, err, "Read")
	if string(buf[:n]) != "via dup" {
		t.Fatalf("Read = %q", buf[:n])
	}
	// The write end is open while the duplicate is: no end of file yet.
	_, err = k.Read(r, buf)
	wantErrno(t, err, syscall.EAGAIN, "Read with the writer open")
	must(t, k.Close(w2), "Close duplicate")
	if n, err := k.Read(r, buf); n != 0 || err != nil {
		t.Fatalf("Read after the last writer closed = %d, %v; want end of file", n, err)
	}
}

func TestPipeBounded(t *testing.T) {
	k := sim.New(sim.Config{PipeBuffer: 8192})
	r, w, _ := k.Pipe()
	chunk := bytes.Repeat([]byte{'a'}, 3000)
	total := 0
	for {
		n, err := k.Write(w, chunk)
		total += n
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		must(t, err, "Write")
	}
	// 3000-byte writes are atomic (<= PIPE_BUF): 2 fit in 8192, a third
	// would not.
	if total != 6000 {
		t.Fatalf("pipe took %d bytes of 3000-byte atomic writes, want 6000", total)
	}
	n, err := k.Write(w, bytes.Repeat([]byte{'b'}, 5000))
	must(t, err, "large Write")
	if n != 2192 {
		t.Fatalf("large write took %d bytes, want the 2192 left", n)
	}
	must(t, k.Close(r), "Close reader")
	_, err = k.Write(w, []byte("x"))
	wantErrno(t, err, syscall.EPIPE, "Write without reader")
}

// connect makes a TCP connection through the listener and accepts it.
func connect(t *testing.T, k *sim.Kernel, ln int) (c, s int) {
	t.Helper()
	addr, err := k.LocalAddr(ln)
	must(t, err, "LocalAddr")
	c, err = k.Connect("tcp", addr.String())
	if !errors.Is(err, syscall.EINPROGRESS) {
		t.Fatalf("Connect: %v, want EINPROGRESS", err)
	}
	s, err = k.Accept(ln)
	must(t, err, "Accept")
	must(t, k.SocketError(c), "SO_ERROR")
	return c, s
}

func TestTCPBacklogCompletesOnAccept(t *testing.T) {
	k := sim.New(sim.Config{})
	ln, err := k.Listen("tcp4", "127.0.0.1:0", ep.ListenOptions{Backlog: 1})
	must(t, err, "Listen")
	addr, _ := k.LocalAddr(ln)
	p, _ := k.NewPoller("")
	defer p.Close()
	c1, err := k.Connect("tcp4", addr.String())
	wantErrno(t, err, syscall.EINPROGRESS, "Connect 1")
	c2, err := k.Connect("tcp4", addr.String())
	wantErrno(t, err, syscall.EINPROGRESS, "Connect 2")
	must(t, p.Add(c1, ep.Writable, 1), "Add c1")
	must(t, p.Add(c2, ep.Writable|ep.EdgeTriggered, 2), "Add c2")
	evs := make([]ep.Event, 4)
	n, _ := p.Wait(evs, 0)
	if n != 1 || evs[0].Data != 1 {
		t.Fatalf("with a backlog of 1: %v, want only the first connect writable", evs[:n])
	}
	_, err = k.Write(c2, []byte("x"))
	wantErrno(t, err, syscall.EAGAIN, "Write while connecting")
	s1, err := k.Accept(ln)
	must(t, err, "Accept 1")
	// Accepting made room: the second connect completes.
	n, _ = p.Wait(evs, 0)
	found := false
	for _, e := range evs[:n] {
		found = found || e.Data == 2
	}
	if !found {
		t.Fatalf("after Accept: %v, want the second connect writable", evs[:n])
	}
	s2, err := k.Accept(ln)
	must(t, err, "Accept 2")
	_, err = k.Accept(ln)
	wantErrno(t, err, syscall.EAGAIN, "Accept 3")
	ra, _ := k.RemoteAddr(s2)
	la, _ := k.LocalAddr(c2)
	if ra.String() != la.String() {
		t.Fatalf("accepted RemoteAddr %v != client LocalAddr %v", ra, la)
	}
	for _, fd := range []int{c1, c2, s1, s2, ln} {
		must(t, k.Close(fd), "Close")
	}
}

func TestConnectRefused(t *testing.T) {
	k := sim.New(sim.Config{})
	c, err := k.Connect("tcp", "127.0.0.1:9")
	wantErrno(t, err, syscall.EINPROGRESS, "TCP connect to a closed port")
	wantErrno(t, k.SocketError(c), syscall.ECONNREFUSED, "SO_ERROR")
	must(t, k.SocketError(c), "SO_ERROR is cleared")
	_, err = k.Connect("unix", "/nowhere")
	wantErrno(t, err, syscall.ECONNREFUSED, "unix connect to nothing")
	if n := k.OpenFDs(); n != 1 {
		t.Fatalf("OpenFDs = %d, want 1 (the refused TCP socket)", n)
	}
}

func TestAbortResetsPeer(t *testing.T) {
	k := sim.New(sim.Config{})
	ln, _ := k.Listen("tcp", "127.0.0.1:0", ep.ListenOptions{})
	c, s := connect(t, k, ln)
	_, err := k.Write(c, []byte("before"))
	must(t, err, "Write")
	must(t, k.Abort(c), "Abort")
	buf := make([]byte, 16)
	n, err := k.Read(s, buf)
	must(t, err, "Read of data sent before the reset")
	if string(buf[:n]) != "before" {
		t.Fatalf("Read = %q", buf[:n])
	}
	_, err = k.Read(s, buf)
	wantErrno(t, err, syscall.ECONNRESET, "Read after reset")
	n, err = k.Read(s, buf)
	if n != 0 || err != nil {
		t.Fatalf("second Read after reset = %d, %v; want end of file", n, err)
	}
	_, err = k.Write(s, []byte("x"))
	wantErrno(t, err, syscall.EPIPE, "Write after the reset was reported")
}

func TestCloseWithUnreadDataResets(t *testing.T) {
	k := sim.New(sim.Config{})
	ln, _ := k.Listen("tcp", "127.0.0.1:0", ep.ListenOptions{})
	c, s := connect(t, k, ln)
	_, err := k.Write(c, []byte("unread"))
	must(t, err, "Write")
	must(t, k.Close(s), "Close with unread data")
	_, err = k.Write(c, []byte("x"))
	wantErrno(t, err, syscall.ECONNRESET, "Write to a peer that closed with unread data")
}

func TestWriteToClosedPeerResetsLater(t *testing.T) {
	// Checked against Linux 6.x over loopback: write ok, EPIPE, EPIPE, EOF.
	k := sim.New(sim.Config{})
	ln, _ := k.Listen("tcp", "127.0.0.1:0", ep.ListenOptions{})
	c, s := connect(t, k, ln)
	must(t, k.Close(s), "Close")
	// As on Linux: the first write succeeds and draws a reset, which in
	// CLOSE_WAIT (the peer's FIN arrived) is reported as EPIPE.
	_, err := k.Write(c, []byte("x"))
	must(t, err, "first Write after the peer closed")
	_, err = k.Write(c, []byte("x"))
	wantErrno(t, err, syscall.EPIPE, "second Write")
	_, err = k.Write(c, []byte("x"))
	wantErrno(t, err, syscall.EPIPE, "third Write")
	if n, err := k.Read(c, make([]byte, 4)); n != 0 || err != nil {
		t.Fatalf("Read after the reset was reported = %d, %v; want end of file", n, err)
	}
}

func TestShutdownRead(t *testing.T) {
	k := sim.New(sim.Config{})
	a, b, _ := k.Socketpair()
	p, _ := k.NewPoller("")
	defer p.Close()
	must(t, p.Add(a, ep.Readable|ep.ReadHangup, 1), "Add")
	must(t, k.Shutdown(a, syscall.SHUT_RD), "SHUT_RD")
	evs := make([]ep.Event, 2)
	n, _ := p.Wait(evs, 0)
	if n != 1 || evs[0].Events != ep.Readable|ep.ReadHangup {
		t.Fatalf("after SHUT_RD: %v, want readable|read-hangup", evs[:n])
	}
	if n, err := k.Read(a, make([]byte, 4)); n != 0 || err != nil {
		t.Fatalf("Read after SHUT_RD = %d, %v", n, err)
	}
	_, err := k.Write(b, []byte("x"))
	wantErrno(t, err, syscall.EPIPE, "unix Write to a peer that shut down reading")
	wantErrno(t, k.Shutdown(a, 99), syscall.EINVAL, "Shutdown with a bad how")
	r, _, _ := k.Pipe()
	wantErrno(t, k.Shutdown(r, syscall.SHUT_WR), syscall.ENOTSOCK, "Shutdown of a pipe")
}

func TestListenAddresses(t *testing.T) {
	k := sim.New(sim.Config{})
	a, err := k.Listen("tcp", "127.0.0.1:0", ep.ListenOptions{})
	must(t, err, "Listen a")
	b, err := k.Listen("tcp", "127.0.0.1:0", ep.ListenOptions{})
	must(t, err, "Listen b")
	aa, _ := k.LocalAddr(a)
	ba, _ := k.LocalAddr(b)
	if aa.String() == ba.String() || aa.(*net.TCPAddr).Port == 0 {
		t.Fatalf("port 0 gave %v and %v", aa, ba)
	}
	_, err = k.Listen("tcp", aa.String(), ep.ListenOptions{})
	wantErrno(t, err, syscall.EADDRINUSE, "Listen on a bound port")
	r1, err := k.Listen("tcp", "127.0.0.1:7000", ep.ListenOptions{ReusePort: true})
	must(t, err, "ReusePort 1")
	r2, err := k.Listen("tcp", "127.0.0.1:7000", ep.ListenOptions{ReusePort: true})
	must(t, err, "ReusePort 2")
	// Connections are spread over the group.
	for range 2 {
		_, err := k.Connect("tcp", "127.0.0.1:7000")
		wantErrno(t, err, syscall.EINPROGRESS, "Connect")
	}
	_, err1 := k.Accept(r1)
	_, err2 := k.Accept(r2)
	if err1 != nil || err2 != nil {
		t.Fatalf("SO_REUSEPORT group: Accept errors %v, %v; want one connection each", err1, err2)
	}
	u, err := k.Listen("unix", "/tmp/sim.sock", ep.ListenOptions{})
	must(t, err, "Listen unix")
	c, err := k.Connect("unix", "/tmp/sim.sock")
	must(t, err, "unix Connect completes at once")
	s, err := k.Accept(u)
	must(t, err, "Accept unix")
	_, err = k.Write(c, []byte("u"))
	must(t, err, "Write")
	buf := make([]byte, 2)
	if n, _ := k.Read(s, buf); string(buf[:n]) != "u" {
		t.Fatalf("unix Read = %q", buf[:n])
	}
	must(t, k.Close(u), "Close unix listener")
	_, err = k.Listen("unix", "/tmp/sim.sock", ep.ListenOptions{})
	must(t, err, "path is free again after Close")
	_, err = k.Listen("sctp", ":1", ep.ListenOptions{})
	wantErrno(t, err, syscall.EAFNOSUPPORT, "unknown network")
}

func TestListenerCloseResetsQueued(t *testing.T) {
	k := sim.New(sim.Config{})
	ln, _ := k.Listen("tcp", "127.0.0.1:0", ep.ListenOptions{})
	addr, _ := k.LocalAddr(ln)
	c, _ := k.Connect("tcp", addr.String())
	must(t, k.Close(ln), "Close listener")
	_, err := k.Read(c, make([]byte, 1))
	wantErrno(t, err, syscall.ECONNRESET, "Read on a connection reset by the closed listener")
}

func TestUDP(t *testing.T) {
	k := sim.New(sim.Config{RecvBuffer: 10})
	a, err := k.Listen("udp", "127.0.0.1:0", ep.ListenOptions{})
	must(t, err, "Listen udp a")
	b, err := k.Listen("udp4", "127.0.0.1:0", ep.ListenOptions{})
	must(t, err, "Listen udp b")
	ba, _ := k.LocalAddr(b)
	aa, _ := k.LocalAddr(a)
	p, _ := k.NewPoller("")
	defer p.Close()
	must(t, p.Add(b, ep.Readable, 1), "Add")
	for _, msg := range []string{"hello", "world", "dropped"} {
		n, err := k.SendTo(a, []byte(msg), ba)
		must(t, err, "SendTo")
		if n != len(msg) {
			t.Fatalf("SendTo = %d", n)
		}
	}
	evs := make([]ep.Event, 1)
	if n, _ := p.Wait(evs, 0); n != 1 {
		t.Fatal("datagram socket not readable")
	}
	buf := make([]byte, 16)
	for _, want := range []string{"hello", "world"} {
		n, from, err := k.RecvFrom(b, buf)
		must(t, err, "RecvFrom")
		if string(buf[:n]) != want || from.String() != aa.String() {
			t.Fatalf("RecvFrom = %q from %v, want %q from %v", buf[:n], from, want, aa)
		}
	}
	// The third did not fit the 10-byte receive buffer: dropped, as UDP does.
	_, _, err = k.RecvFrom(b, buf)
	wantErrno(t, err, syscall.EAGAIN, "RecvFrom of the dropped datagram")
	_, err = k.Write(a, []byte("x"))
	wantErrno(t, err, syscall.EDESTADDRREQ, "Write on an unconnected datagram socket")
}

func TestEventfdAndRegularFile(t *testing.T) {
	k := sim.New(sim.Config{})
	efd, err := k.Eventfd()
	must(t, err, "Eventfd")
	p, _ := k.NewPoller("")
	defer p.Close()
	must(t, p.Add(efd, ep.Readable, 1), "Add eventfd")
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	for range 3 {
		_, err := k.Write(efd, one)
		must(t, err, "Write eventfd")
	}
	evs := make([]ep.Event, 2)
	if n, _ := p.Wait(evs, 0); n != 1 {
		t.Fatal("eventfd not readable")
	}
	buf := make([]byte, 8)
	_, err = k.Read(efd, buf)
	must(t, err, "Read eventfd")
	if buf[0] != 3 {
		t.Fatalf("eventfd counter = %d, want 3", buf[0])
	}
	_, err = k.Read(efd, buf)
	wantErrno(t, err, syscall.EAGAIN, "Read of a zero counter")
	rf, err := k.RegularFile()
	must(t, err, "RegularFile")
	wantErrno(t, p.Add(rf, ep.Readable, 2), syscall.EPERM, "Add of a regular file")
	res, err := k.ReserveFD()
	must(t, err, "ReserveFD")
	wantErrno(t, p.Add(res, ep.Readable, 3), syscall.EPERM, "Add of the placeholder")
	must(t, k.Close(res), "Close placeholder")
}

func TestSetBuffersBoundsDirection(t *testing.T) {
	k := sim.New(sim.Config{})
	a, b, _ := k.Socketpair()
	must(t, k.SetBuffers(a, 0, 1000), "SetBuffers send")
	must(t, k.SetBuffers(b, 500, 0), "SetBuffers recv")
	n, err := k.Write(a, make([]byte, 4000))
	must(t, err, "Write")
	if n != 1500 {
		t.Fatalf("a direction holds %d bytes, want send 1000 + receive 500", n)
	}
	_, err = k.Write(a, []byte("x"))
	wantErrno(t, err, syscall.EAGAIN, "Write to a full direction")
	wantErrno(t, k.SetNoDelay(a, true), syscall.EOPNOTSUPP, "TCP_NODELAY on a unix socket")
}

func TestVirtualClock(t *testing.T) {
	k := sim.New(sim.Config{Deterministic: true})
	p, err := k.NewPoller("")
	must(t, err, "NewPoller")
	defer p.Close()
	start := k.Now()
	real := time.Now()
	n, err := p.Wait(make([]ep.Event, 1), time.Hour)
	must(t, err, "Wait")
	if n != 0 {
		t.Fatalf("Wait(1h) = %d events", n)
	}
	if el := k.Now().Sub(start); el != time.Hour {
		t.Fatalf("virtual time advanced by %v, want exactly 1h", el)
	}
	if el := time.Since(real); el > time.Second {
		t.Fatalf("Wait(1h) took %v of real time", el)
	}
	// Rounded up to a millisecond, never early.
	start = k.Now()
	p.Wait(make([]ep.Event, 1), 1500*time.Microsecond)
	if el := k.Now().Sub(start); el != 2*time.Millisecond {
		t.Fatalf("Wait(1.5ms) advanced %v, want 2ms", el)
	}
}

// TestNetworkDelay: with MaxDelay, TCP segments (setup, data, FIN) arrive
// later on the virtual clock, in order, and data in flight is not readable.
func TestNetworkDelay(t *testing.T) {
	k := sim.New(sim.Config{Deterministic: true, Seed: 3, MaxDelay: 5 * time.Millisecond})
	p, err := k.NewPoller("")
	must(t, err, "NewPoller")
	defer p.Close()
	start := k.Now()
	ln, _ := k.Listen("tcp", "127.0.0.1:0", ep.ListenOptions{})
	addr, _ := k.LocalAddr(ln)
	c, err := k.Connect("tcp", addr.String())
	wantErrno(t, err, syscall.EINPROGRESS, "Connect")
	_, err = k.Accept(ln)
	wantErrno(t, err, syscall.EAGAIN, "Accept before the handshake arrived")
	must(t, p.Add(ln, ep.Readable, 1), "Add listener")
	evs := make([]ep.Event, 4)
	if n, _ := p.Wait(evs, time.Second); n != 1 {
		t.Fatalf("listener not readable after the handshake delay")
	}
	s, err := k.Accept(ln)
	must(t, err, "Accept")
	for _, part := range []string{"ab", "cd", "ef"} {
		_, err := k.Write(c, []byte(part))
		must(t, err, "Write")
	}
	must(t, k.Shutdown(c, syscall.SHUT_WR), "Shutdown")
	must(t, p.Add(s, ep.Readable|ep.ReadHangup, 2), "Add server end")
	var got []byte
	buf := make([]byte, 16)
	eof := false
	for !eof {
		if n, _ := p.Wait(evs, time.Second); n == 0 {
			t.Fatalf("nothing arrived within a second of virtual time (got %q)", got)
		}
		for {
			n, err := k.Read(s, buf)
			if errors.Is(err, syscall.EAGAIN) {
				break
			}
			must(t, err, "Read")
			if n == 0 {
				eof = true
				break
			}
			got = append(got, buf[:n]...)
		}
	}
	if string(got) != "abcdef" {
		t.Fatalf("received %q before end of file, want \"abcdef\" in order", got)
	}
	if el := k.Now().Sub(start); el <= 0 || el > 30*time.Millisecond {
		t.Fatalf("virtual time advanced %v, want some delay below 30ms", el)
	}
}
