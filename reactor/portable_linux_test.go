package reactor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
)

func init() { testKernels["portable"] = eventpoll.PortableHost() }

// TestPortableKernel runs servers on eventpoll.PortableHost, the Kernel that
// Host is on darwin and the BSDs, in every mode: many connections echoing
// random data checked byte for byte (TCP and unix sockets), half-close, a
// peer's reset during a large write (no SIGPIPE), Dial, UDP, and recovery
// from EMFILE in a child process whose descriptor limit is 64. The default
// run takes epoll (edge and level), poll (edge) and select (level); every
// mode with EVENTPOLL_LONG=1.
func TestPortableKernel(t *testing.T) {
	k := eventpoll.PortableHost()
	for _, m := range modes() {
		switch m.String() {
		case "epoll/edge", "epoll/level", "poll/edge", "select/level":
		default:
			if !longRun() {
				continue
			}
		}
		t.Run(m.String(), func(t *testing.T) {
			t.Run("StreamEcho", func(t *testing.T) {
				conns, size := 200, 64<<10 // within FD_SETSIZE for select
				h := &echoHandler{}
				s := &Server{Handler: h, Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, Kernel: k,
					ReadBufferSize: 16 << 10, ReadBudget: 32 << 10, WriteHighWater: 64 << 10, WriteLowWater: 16 << 10}
				addr, stop := serve(t, s, "tcp4", "127.0.0.1:0")
				streamMany(t, "tcp", addr.String(), conns, size)
				stop()
				opened, closed, errs := h.counts()
				if opened != conns || closed != conns {
					t.Errorf("opened %d closed %d, want %d each", opened, closed, conns)
				}
				for _, err := range errs[:min(len(errs), 5)] {
					t.Errorf("OnClose error: %v", err)
				}
			})
			t.Run("Unix", func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "echo.sock")
				s := &Server{Handler: &echoHandler{}, Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, Kernel: k}
				addr, _ := serve(t, s, "unix", path)
				streamMany(t, "unix", addr.String(), 20, 32<<10)
			})
			t.Run("HalfClose", func(t *testing.T) { portableHalfClose(t, k, m) })
			t.Run("PeerReset", func(t *testing.T) { portablePeerReset(t, k, m) })
			t.Run("Dial", func(t *testing.T) { portableDial(t, k, m) })
			t.Run("UDP", func(t *testing.T) { portableUDP(t, k, m) })
			t.Run("EMFILE", func(t *testing.T) { emfileParent(t, m, "portable") })
		})
	}
}

// portableHalfClose: data followed at once by the client's FIN all comes
// back, then the handler's trailer written after the read hangup, then EOF.
func portableHalfClose(t *testing.T, k eventpoll.Kernel, m mode) {
	for _, h := range []Handler{&echoHandler{}, &hangupHandler{}} {
		s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, Kernel: k}
		addr, stop := serve(t, s, "tcp", "127.0.0.1:0")
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		msg := bytes.Repeat([]byte("0123456789"), 50000)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).CloseWrite()
		got, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("%T: reading: %v", h, err)
		}
		want := msg
		if _, ok := h.(*hangupHandler); ok {
			want = append(append([]byte(nil), msg...), "trailer"...)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%T: got %d bytes, want %d", h, len(got), len(want))
		}
		c.Close()
		stop()
	}
}

// portablePeerReset: the server is writing 32 MiB when the client resets
// the connection; OnClose gets ECONNRESET or EPIPE, no SIGPIPE is raised,
// and the server goes on serving.
func portablePeerReset(t *testing.T, k eventpoll.Kernel, m mode) {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGPIPE)
	defer signal.Stop(sig)
	h := &blastHandler{total: 32 << 20, errc: make(chan error, 1)}
	s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, Kernel: k}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("go"))
	if _, err := io.ReadFull(c, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	select {
	case err := <-h.errc:
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("OnClose error %v, want ECONNRESET or EPIPE", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reset connection was not closed")
	}
	select {
	case s := <-sig:
		t.Fatalf("%v raised by the server's writes to the reset peer", s)
	default:
	}
	c2, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatalf("the server stopped serving: %v", err)
	}
	defer c2.Close()
	c2.Write([]byte("again"))
	c2.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c2, make([]byte, 1<<10)); err != nil {
		t.Fatalf("the server stopped serving: %v", err)
	}
}

// portableDial: a client Server dials through the Kernel (non-blocking
// connect, SO_ERROR) and gets 500 kB echoed back; a dial to a closed port
// fails with ECONNREFUSED.
func portableDial(t *testing.T, k eventpoll.Kernel, m mode) {
	srv := &Server{Handler: &echoHandler{}, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, Kernel: k}
	addr, _ := serve(t, srv, "tcp", "127.0.0.1:0")
	cli := &Server{Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, Kernel: k}
	defer cli.Close()
	msg := bytes.Repeat([]byte("dial "), 100000)
	h := newCollector(len(msg))
	c, err := cli.DialContext(context.Background(), "tcp", addr.String(), h)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AsyncWrite(msg); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("echo did not come back")
	}
	h.mu.Lock()
	same := bytes.Equal(h.got.Bytes(), msg)
	h.mu.Unlock()
	if !same {
		t.Fatal("echo differs")
	}
	c.AsyncClose()
	if err := <-h.closed; err != nil {
		t.Fatalf("OnClose: %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if _, err := cli.DialContext(context.Background(), "tcp", closed, newCollector(0)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial to a closed port: %v, want ECONNREFUSED", err)
	}
}

// portableUDP: a packet server echoes 50 datagrams of growing size.
func portableUDP(t *testing.T, k eventpoll.Kernel, m mode) {
	s := &Server{PacketHandler: udpEcho{}, Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, Kernel: k}
	addr, _ := serve(t, s, "udp4", "127.0.0.1:0")
	c, err := net.Dial("udp4", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 2000)
	for i := range 50 {
		msg := bytes.Repeat(fmt.Appendf(nil, "%d,", i), i+1)
		var n int
		for try := 0; ; try++ {
			c.Write(msg)
			c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			n, err = c.Read(buf)
			if err == nil || try == 5 {
				break
			}
		}
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("datagram %d: got %q, %v", i, buf[:n], err)
		}
	}
}
