//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
	"golang.org/x/sys/unix"
)

// eachVariant runs f once per entry of portableVariants, as a subtest.
func eachVariant(t *testing.T, f func(t *testing.T)) {
	for _, v := range portableVariants {
		t.Run(v.name, func(t *testing.T) {
			if v.use != nil {
				v.use(t)
			}
			f(t)
		})
	}
}

// retry calls f until it stops failing with EAGAIN or EINPROGRESS, for at
// most five seconds, and returns its last result.
func retry[T any](t *testing.T, f func() (T, error)) T {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := f()
		if err == nil {
			return v
		}
		if !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) {
			t.Fatalf("%v", err)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkFlags fails t unless fd is close-on-exec and, if nonblock, non-blocking.
func checkFlags(t *testing.T, what string, fd int, nonblock bool) {
	t.Helper()
	fdf, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatalf("%s: F_GETFD: %v", what, err)
	}
	if fdf&unix.FD_CLOEXEC == 0 {
		t.Fatalf("%s: fd %d is not close-on-exec", what, fd)
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatalf("%s: F_GETFL: %v", what, err)
	}
	if nonblock && fl&unix.O_NONBLOCK == 0 {
		t.Fatalf("%s: fd %d is blocking", what, fd)
	}
}

// tcpPair returns a connected client and accepted server socket made by k,
// and the listener.
func tcpPair(t *testing.T, k eventpoll.Kernel, network, address string) (cli, srv, ln int) {
	t.Helper()
	ln, err := k.Listen(network, address, eventpoll.ListenOptions{})
	if err != nil {
		t.Fatalf("Listen %s %s: %v", network, address, err)
	}
	t.Cleanup(func() { k.Close(ln) })
	if _, err := k.Accept(ln); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("Accept with nothing pending = %v, want EAGAIN", err)
	}
	la, err := k.LocalAddr(ln)
	if err != nil {
		t.Fatal(err)
	}
	cli, err = k.Connect(network, la.String())
	if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { k.Close(cli) })
	srv = retry(t, func() (int, error) { return k.Accept(ln) })
	t.Cleanup(func() { k.Close(srv) })
	// The connection is established once the client is writable; on
	// loopback the accept above means it is, so SO_ERROR must be clear.
	if err := k.SocketError(cli); err != nil {
		t.Fatalf("SocketError after connect: %v", err)
	}
	return cli, srv, ln
}

// readN reads from fd until n bytes arrived.
func readN(t *testing.T, k eventpoll.Kernel, fd, n int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 64<<10)
	for len(got) < n {
		m := retry(t, func() (int, error) { return k.Read(fd, buf) })
		if m == 0 {
			t.Fatalf("end of file after %d of %d bytes", len(got), n)
		}
		got = append(got, buf[:m]...)
	}
	return got
}

func TestPortablePipe(t *testing.T) { eachVariant(t, testPortablePipe) }

func testPortablePipe(t *testing.T) {
	k := eventpoll.PortableHost()
	r, w, err := k.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(r)
	checkFlags(t, "pipe read end", r, true)
	checkFlags(t, "pipe write end", w, true)
	buf := make([]byte, 16)
	if _, err := k.Read(r, buf); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("Read of an empty pipe = %v, want EAGAIN", err)
	}
	if n, err := k.Write(w, []byte("abc")); n != 3 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if n, err := k.Writev(w, [][]byte{nil, []byte("de"), {}, []byte("fgh")}); n != 5 || err != nil {
		t.Fatalf("Writev = %d, %v", n, err)
	}
	if n, err := k.Read(r, buf); err != nil || string(buf[:n]) != "abcdefgh" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	// Fill the pipe: the write that does not fit fails with EAGAIN.
	big := make([]byte, 1<<20)
	for {
		_, err := k.Write(w, big)
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			t.Fatalf("filling the pipe: %v", err)
		}
	}
	if _, err := k.Writev(w, [][]byte{big}); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("Writev to a full pipe = %v, want EAGAIN", err)
	}
	k.Close(w)
	for {
		n, err := k.Read(r, big)
		if err != nil {
			t.Fatalf("draining: %v", err)
		}
		if n == 0 {
			break // end of file: 0 with a nil error
		}
	}
}

func TestPortableSocketpair(t *testing.T) { eachVariant(t, testPortableSocketpair) }

func testPortableSocketpair(t *testing.T) {
	k := eventpoll.PortableHost()
	a, b, err := k.Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(a)
	defer k.Close(b)
	checkFlags(t, "socketpair", a, true)
	checkFlags(t, "socketpair", b, true)
	// A gather write takes at most 64 buffers; the caller writes the rest.
	bufs := make([][]byte, 100)
	for i := range bufs {
		bufs[i] = []byte{byte(i)}
	}
	n, err := k.Writev(a, bufs)
	if err != nil || n != 64 {
		t.Fatalf("Writev of 100 one-byte buffers = %d, %v; want 64", n, err)
	}
	got := readN(t, k, b, 64)
	for i, c := range got {
		if c != byte(i) {
			t.Fatalf("byte %d = %d", i, c)
		}
	}
	d, err := k.Dup(a)
	if err != nil {
		t.Fatal(err)
	}
	checkFlags(t, "dup", d, true)
	if n, err := k.Write(d, []byte("via dup")); n != 7 || err != nil {
		t.Fatalf("Write on the dup = %d, %v", n, err)
	}
	if got := readN(t, k, b, 7); string(got) != "via dup" {
		t.Fatalf("read %q", got)
	}
	k.Close(d)
	if err := k.Shutdown(a, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if n := retry(t, func() (int, error) { return k.Read(b, make([]byte, 8)) }); n != 0 {
		t.Fatalf("Read after the peer's shutdown = %d bytes, want end of file", n)
	}
}

// TestPortableNoSIGPIPE writes to peers that are gone (a closed socketpair
// end, a TCP peer that sent a reset) and checks that the writes fail with
// EPIPE or ECONNRESET and that no SIGPIPE was raised.
func TestPortableNoSIGPIPE(t *testing.T) { eachVariant(t, testPortableNoSIGPIPE) }

func testPortableNoSIGPIPE(t *testing.T) {
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGPIPE)
	defer signal.Stop(sig)
	k := eventpoll.PortableHost()
	gone := func(err error) bool {
		return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
	}

	a, b, err := k.Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(a)
	k.Close(b)
	if _, err := k.Write(a, []byte("x")); !gone(err) {
		t.Errorf("Write to a closed socketpair peer = %v, want EPIPE", err)
	}
	if _, err := k.Writev(a, [][]byte{[]byte("x"), []byte("y")}); !gone(err) {
		t.Errorf("Writev to a closed socketpair peer = %v, want EPIPE", err)
	}

	cli, srv, _ := tcpPair(t, k, "tcp4", "127.0.0.1:0")
	if err := k.Abort(cli); err != nil { // RST
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	deadline := time.Now().Add(5 * time.Second)
	for writes := 0; ; writes++ {
		var err error
		if writes%2 == 0 {
			_, err = k.Write(srv, chunk)
		} else {
			_, err = k.Writev(srv, [][]byte{chunk[:100], chunk})
		}
		if gone(err) {
			break
		}
		if err != nil && !errors.Is(err, syscall.EAGAIN) {
			t.Fatalf("write to a reset peer = %v, want EPIPE or ECONNRESET", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("writes to a reset peer kept succeeding")
		}
	}
	// Once reset, every later write fails without a signal too.
	for range 3 {
		if _, err := k.Write(srv, chunk); !gone(err) {
			t.Errorf("write after the reset = %v, want EPIPE or ECONNRESET", err)
		}
	}
	select {
	case s := <-sig:
		t.Fatalf("%v raised by a write to a gone peer", s)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestPortableTCP(t *testing.T) { eachVariant(t, testPortableTCP) }

func testPortableTCP(t *testing.T) {
	k := eventpoll.PortableHost()
	cli, srv, ln := tcpPair(t, k, "tcp4", "127.0.0.1:0")
	for what, fd := range map[string]int{"listener": ln, "client": cli, "accepted": srv} {
		checkFlags(t, what, fd, true)
	}
	la, _ := k.LocalAddr(ln)
	ca, err := k.LocalAddr(cli)
	if err != nil {
		t.Fatal(err)
	}
	ra, err := k.RemoteAddr(srv)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := la.(*net.TCPAddr); !ok || ra.String() != ca.String() {
		t.Fatalf("listener %T %v; accepted's peer %v, client %v", la, la, ra, ca)
	}
	if err := k.SetNoDelay(cli, true); err != nil {
		t.Fatal(err)
	}
	if err := k.SetBuffers(srv, 64<<10, 64<<10); err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("portable "), 100000)
	go func() {
		for rest := msg; len(rest) > 0; {
			n, err := k.Writev(cli, [][]byte{rest[:min(len(rest), 1000)], rest[min(len(rest), 1000):]})
			if errors.Is(err, syscall.EAGAIN) {
				time.Sleep(time.Millisecond)
				continue
			}
			if err != nil {
				t.Errorf("Writev: %v", err)
				return
			}
			rest = rest[n:]
		}
		k.Shutdown(cli, unix.SHUT_WR)
	}()
	if got := readN(t, k, srv, len(msg)); !bytes.Equal(got, msg) {
		t.Fatal("the stream differs")
	}
	if n := retry(t, func() (int, error) { return k.Read(srv, make([]byte, 1)) }); n != 0 {
		t.Fatal("no end of file after the client's shutdown")
	}

	// A refused connection ends with ECONNREFUSED in SO_ERROR (or at once).
	addr := la.String()
	k.Close(ln)
	fd, err := k.Connect("tcp4", addr)
	if errors.Is(err, syscall.EINPROGRESS) {
		defer k.Close(fd)
		retry(t, func() (struct{}, error) {
			if err = k.SocketError(fd); err == nil {
				return struct{}{}, syscall.EAGAIN // still in progress
			}
			return struct{}{}, nil
		})
	} else if err == nil {
		k.Close(fd)
		t.Fatal("connected to a closed port")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("connect to a closed port: %v, want ECONNREFUSED", err)
	}
}

func TestPortableUnixAndUDP(t *testing.T) { eachVariant(t, testPortableUnixAndUDP) }

func testPortableUnixAndUDP(t *testing.T) {
	k := eventpoll.PortableHost()
	path := filepath.Join(t.TempDir(), "s")
	cli, srv, _ := tcpPair(t, k, "unix", path)
	if n, err := k.Write(cli, []byte("unix")); n != 4 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if got := readN(t, k, srv, 4); string(got) != "unix" {
		t.Fatalf("read %q", got)
	}
	if la, err := k.LocalAddr(srv); err != nil || la.Network() != "unix" {
		t.Fatalf("LocalAddr of a unix socket = %v, %v", la, err)
	}

	u, err := k.Listen("udp4", "127.0.0.1:0", eventpoll.ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(u)
	checkFlags(t, "udp", u, true)
	ua, err := k.LocalAddr(u)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ua.(*net.UDPAddr); !ok {
		t.Fatalf("LocalAddr of a UDP socket is %T", ua)
	}
	buf := make([]byte, 64)
	if _, _, err := k.RecvFrom(u, buf); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("RecvFrom with nothing queued = %v, want EAGAIN", err)
	}
	if n, err := k.SendTo(u, []byte("dgram"), ua); n != 5 || err != nil {
		t.Fatalf("SendTo = %d, %v", n, err)
	}
	var from net.Addr
	n := retry(t, func() (int, error) {
		n, a, err := k.RecvFrom(u, buf)
		from = a
		return n, err
	})
	if string(buf[:n]) != "dgram" || from.String() != ua.String() {
		t.Fatalf("RecvFrom = %q from %v", buf[:n], from)
	}
}

func TestPortableListenOptions(t *testing.T) { eachVariant(t, testPortableListenOptions) }

func testPortableListenOptions(t *testing.T) {
	k := eventpoll.PortableHost()
	a, err := k.Listen("tcp4", "127.0.0.1:0", eventpoll.ListenOptions{ReusePort: true, Backlog: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(a)
	addr, _ := k.LocalAddr(a)
	b, err := k.Listen("tcp4", addr.String(), eventpoll.ListenOptions{ReusePort: true})
	if err != nil {
		t.Fatalf("second SO_REUSEPORT listener on %v: %v", addr, err)
	}
	k.Close(b)
	if _, err := k.Listen("tcp4", addr.String(), eventpoll.ListenOptions{}); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("listener without SO_REUSEPORT on a bound address = %v, want EADDRINUSE", err)
	}
	if _, err := k.Listen("sctp", ":0", eventpoll.ListenOptions{}); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Fatalf("Listen on an unknown network = %v, want EAFNOSUPPORT", err)
	}
}

func TestPortableFiles(t *testing.T) { eachVariant(t, testPortableFiles) }

func testPortableFiles(t *testing.T) {
	k := eventpoll.PortableHost()
	fd, err := k.ReserveFD()
	if err != nil {
		t.Fatal(err)
	}
	checkFlags(t, "ReserveFD", fd, false)
	if err := k.Close(fd); err != nil {
		t.Fatal(err)
	}
	f, err := k.RegularFile()
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(f)
	checkFlags(t, "RegularFile", f, false)
	var st unix.Stat_t
	if err := unix.Fstat(f, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 0 {
		t.Fatalf("RegularFile: mode %#o, %d links; want a regular file with no name", st.Mode, st.Nlink)
	}
	// Write tries a socket send first and falls back to write(2).
	for range 2 {
		if n, err := k.Write(f, []byte("file")); n != 4 || err != nil {
			t.Fatalf("Write to a regular file = %d, %v", n, err)
		}
	}
	if n, err := k.Writev(f, [][]byte{[]byte("a"), []byte("b")}); n != 2 || err != nil {
		t.Fatalf("Writev to a regular file = %d, %v", n, err)
	}
	if _, err := k.Read(-1, make([]byte, 1)); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Read(-1) = %v, want EBADF", err)
	}
}
