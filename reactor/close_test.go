//go:build unix

package reactor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
)

// hangupHandler echoes, and after the peer's FIN writes a trailer from a
// timer, then closes: writes after a read hangup must reach the peer.
type hangupHandler struct{ echoHandler }

func (h *hangupHandler) OnReadHangup(c *Conn) {
	c.Loop().AfterFunc(20*time.Millisecond, func() {
		c.Write([]byte("trailer"))
		c.Close()
	})
}

func TestHalfClose(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			for _, h := range []Handler{&echoHandler{}, &hangupHandler{}} {
				s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
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
				// The FIN follows the data at once: the server must deliver
				// all of it, then let the handler write, then close.
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
		})
	}
}

// blastHandler answers any input with total bytes of output.
type blastHandler struct {
	total int
	errc  chan error
}

func (h *blastHandler) OnOpen(c *Conn) {}
func (h *blastHandler) OnData(c *Conn) {
	c.Discard(-1)
	chunk := make([]byte, 1<<20)
	for sent := 0; sent < h.total; sent += len(chunk) {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}
func (h *blastHandler) OnClose(c *Conn, err error) { h.errc <- err }

func TestPeerResetDuringLargeWrite(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			h := &blastHandler{total: 32 << 20, errc: make(chan error, 1)}
			s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
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
			c.Close() // RST while the server still has ~31 MiB to send
			select {
			case err := <-h.errc:
				if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
					t.Fatalf("OnClose error %v, want ECONNRESET or EPIPE", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the reset connection was not closed")
			}
			// The server goes on serving.
			if err := streamOne("tcp", addr.String(), 5, 1<<16); err == nil {
				t.Fatal("blast handler answered like an echo server")
			}
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			h := &echoHandler{}
			s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, IdleTimeout: 400 * time.Millisecond}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			silent, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer silent.Close()
			busy, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			start := time.Now()
			// The busy peer talks every 20 ms for about a second and must survive.
			done := make(chan error, 1)
			go func() {
				buf := make([]byte, 4)
				for i := 0; i < 50; i++ {
					if _, err := busy.Write([]byte("ping")); err != nil {
						done <- err
						return
					}
					busy.SetReadDeadline(time.Now().Add(2 * time.Second))
					if _, err := io.ReadFull(busy, buf); err != nil {
						done <- err
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				done <- nil
			}()
			silent.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := silent.Read(make([]byte, 1))
			elapsed := time.Since(start)
			if n != 0 || err != io.EOF {
				t.Fatalf("silent peer: n=%d err=%v, want end of file", n, err)
			}
			if elapsed < 350*time.Millisecond || elapsed > 3*time.Second {
				t.Fatalf("silent peer closed after %v, want about 400ms", elapsed)
			}
			if err := <-done; err != nil {
				t.Fatalf("busy peer: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
			_, _, errs := h.counts()
			if len(errs) != 1 || !errors.Is(errs[0], ErrIdleTimeout) {
				t.Fatalf("OnClose errors %v, want one ErrIdleTimeout", errs)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	errc := make(chan error, 1)
	h := &funcHandler{
		open:  func(c *Conn) { c.SetDeadline(time.Now().Add(100 * time.Millisecond)) },
		data:  func(c *Conn) { c.Write(c.Next(-1)) },
		close: func(c *Conn, err error) { errc <- err },
	}
	s := &Server{Handler: h, Loops: 1}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Activity does not push a deadline back.
	for i := 0; i < 5; i++ {
		c.Write([]byte("x"))
		time.Sleep(30 * time.Millisecond)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrDeadline) {
			t.Fatalf("OnClose error %v, want ErrDeadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("deadline did not close the connection")
	}
}

func TestShutdownFlushesQueuedOutput(t *testing.T) {
	const total = 2 << 20
	pattern := func(i int) byte { return byte(i*7 + i>>12) }
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			queued := make(chan int, 4)
			h := &funcHandler{open: func(c *Conn) {
				// A small send buffer keeps most of the output queued here.
				eventpoll.Host().SetBuffers(c.Fd(), 0, 32<<10)
				p := make([]byte, total)
				for i := range p {
					p[i] = pattern(i)
				}
				c.Write(p)
				// Once the socket is full, report what is still queued.
				c.Loop().AfterFunc(50*time.Millisecond, func() { queued <- c.OutboundBuffered() })
			}}
			s := &Server{Handler: h, Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			var conns []net.Conn
			for i := 0; i < 2; i++ {
				d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
					// A small receive window keeps most output queued in the server.
					rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
					return nil
				}}
				c, err := d.Dial("tcp", addr.String())
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
				if q := <-queued; q == 0 {
					t.Fatal("nothing queued: the test would prove nothing")
				}
			}
			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				shut <- s.Shutdown(ctx)
			}()
			time.Sleep(50 * time.Millisecond) // Shutdown is waiting on output the peers have not read
			var wg sync.WaitGroup
			for _, c := range conns {
				wg.Add(1)
				go func(c net.Conn) {
					defer wg.Done()
					defer c.Close()
					c.SetDeadline(time.Now().Add(20 * time.Second))
					got, err := io.ReadAll(c)
					if err != nil {
						t.Errorf("reading: %v", err)
						return
					}
					if len(got) != total {
						t.Errorf("got %d bytes, want %d", len(got), total)
						return
					}
					for i, b := range got {
						if b != pattern(i) {
							t.Errorf("byte %d differs", i)
							return
						}
					}
				}(c)
			}
			wg.Wait()
			if err := <-shut; err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if _, err := net.Dial("tcp", addr.String()); err == nil {
				t.Fatal("the server still accepts after Shutdown")
			}
		})
	}
}

func TestAsyncWriteOrder(t *testing.T) {
	const writers, each = 100, 200
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			conns := make(chan *Conn, 1)
			s := &Server{Handler: &funcHandler{open: func(c *Conn) { conns <- c }}, Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			cl, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			c := <-conns
			start := make(chan struct{})
			var wg sync.WaitGroup
			for g := 0; g < writers; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					<-start
					for i := 0; i < each; i++ {
						if err := c.AsyncWrite(fmt.Appendf(nil, "%d:%d\n", g, i)); err != nil {
							t.Errorf("AsyncWrite: %v", err)
							return
						}
					}
				}(g)
			}
			close(start)
			next := make([]int, writers)
			cl.SetReadDeadline(time.Now().Add(20 * time.Second))
			r := bufio.NewReader(cl)
			for n := 0; n < writers*each; n++ {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("after %d lines: %v", n, err)
				}
				var g, i int
				if _, err := fmt.Sscanf(line, "%d:%d\n", &g, &i); err != nil || g < 0 || g >= writers {
					t.Fatalf("bad line %q", line)
				}
				if i != next[g] {
					t.Fatalf("writer %d: got message %d, want %d", g, i, next[g])
				}
				next[g]++
			}
			wg.Wait()
			if err := c.AsyncClose(); err != nil {
				t.Fatal(err)
			}
			if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("after AsyncClose: n=%d err=%v", n, err)
			}
		})
	}
}

// lingerHandler keeps connections open after the peer's FIN and records
// how they end.
type lingerHandler struct {
	echoHandler
	hangups chan *Conn
}

func (h *lingerHandler) OnReadHangup(c *Conn) { h.hangups <- c }

// TestResetAfterReadHangup: a connection kept open after the peer's FIN
// (ReadHangupHandler) is then reset by the peer; the server must close it
// rather than spin on the hangup.
func TestResetAfterReadHangup(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			h := &lingerHandler{hangups: make(chan *Conn, 1)}
			s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			c.(*net.TCPConn).CloseWrite()
			select {
			case <-h.hangups:
			case <-time.After(5 * time.Second):
				t.Fatal("no OnReadHangup")
			}
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
			deadline := time.Now().Add(5 * time.Second)
			for {
				if _, closed, _ := h.counts(); closed == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the reset connection was not closed")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
