package reactor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestIdleConnHoldsNoBuffers: after an echo, and after a partial message
// was completed, a connection holds neither an inbound nor an outbound
// buffer.
func TestIdleConnHoldsNoBuffers(t *testing.T) {
	// The handler echoes whole lines only, so a partial line is kept.
	h := &funcHandler{data: func(c *Conn) {
		if i := bytes.LastIndexByte(c.Peek(0), '\n'); i >= 0 {
			c.Write(c.Next(i + 1))
		}
	}}
	s := &Server{Handler: h, Loops: 1}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	held := func() (in, out int) {
		done := make(chan struct{})
		l := s.loops[0]
		l.Submit(func() {
			for _, e := range l.fds {
				if e.c != nil {
					if e.c.inBuf != nil {
						in++
					}
					out += len(e.c.out.owners)
				}
			}
			close(done)
		})
		<-done
		return in, out
	}
	c.Write([]byte("partial"))
	time.Sleep(50 * time.Millisecond)
	if in, _ := held(); in != 1 {
		t.Fatalf("a partial line is not kept in a connection buffer (%d buffers)", in)
	}
	c.Write([]byte(" line\n"))
	got := make([]byte, len("partial line\n"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "partial line\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	time.Sleep(20 * time.Millisecond)
	if in, out := held(); in != 0 || out != 0 {
		t.Fatalf("idle connection holds %d inbound and %d outbound buffers", in, out)
	}
}

func TestOutboundLimit(t *testing.T) {
	errc := make(chan error, 2)
	h := &funcHandler{
		data: func(c *Conn) {
			c.Discard(-1)
			p := make([]byte, 256<<10)
			for {
				if _, err := c.Write(p); err != nil {
					errc <- err
					return
				}
			}
		},
		close: func(c *Conn, err error) { errc <- err },
	}
	s := &Server{Handler: h, Loops: 1, WriteHighWater: 64 << 10, MaxOutbound: 1 << 20}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("go"))
	for i := 0; i < 2; i++ {
		select {
		case err := <-errc:
			if !errors.Is(err, ErrOutboundLimit) {
				t.Fatalf("got %v, want ErrOutboundLimit from Write and OnClose", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no ErrOutboundLimit")
		}
	}
}

// TestShutdownDeadline: a peer that never reads keeps output queued; when
// Shutdown's context ends first, the server is closed anyway.
func TestShutdownDeadline(t *testing.T) {
	closed := make(chan error, 1)
	h := &funcHandler{
		open: func(c *Conn) {
			c.Write(make([]byte, 8<<20))
		},
		close: func(c *Conn, err error) { closed <- err },
	}
	s := &Server{Handler: h, Loops: 1, LingerTimeout: time.Minute}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Shutdown took %v", d)
	}
	if err := <-closed; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("OnClose: %v, want ErrServerClosed", err)
	}
}
