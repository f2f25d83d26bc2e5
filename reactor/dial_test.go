package reactor

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// collector gathers what a client connection receives.
type collector struct {
	mu     sync.Mutex
	got    bytes.Buffer
	want   int
	done   chan struct{}
	closed chan error
}

func newCollector(want int) *collector {
	return &collector{want: want, done: make(chan struct{}), closed: make(chan error, 1)}
}

func (h *collector) OnOpen(c *Conn) {}
func (h *collector) OnData(c *Conn) {
	h.mu.Lock()
	h.got.Write(c.Next(-1))
	full := h.got.Len() == h.want
	h.mu.Unlock()
	if full {
		close(h.done)
	}
}
func (h *collector) OnClose(c *Conn, err error) { h.closed <- err }

func TestDialEcho(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			srv := &Server{Handler: &echoHandler{}, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, srv, "tcp", "127.0.0.1:0")
			cli := &Server{Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
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
			if !bytes.Equal(h.got.Bytes(), msg) {
				t.Fatal("echo differs")
			}
			c.AsyncClose()
			if err := <-h.closed; err != nil {
				t.Fatalf("OnClose: %v", err)
			}
		})
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cli := &Server{Loops: 1}
	defer cli.Close()
	if _, err := cli.Dial("tcp", addr, newCollector(0)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Dial to a closed port: %v, want ECONNREFUSED", err)
	}
	// Loop.Dial reports the failure through OnClose.
	h := newCollector(0)
	l := cli.Loop()
	l.Submit(func() {
		if _, err := l.Dial("tcp", addr, h); err != nil {
			h.closed <- err
		}
	})
	select {
	case err := <-h.closed:
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("Loop.Dial to a closed port: %v, want ECONNREFUSED", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no OnClose for a refused Loop.Dial")
	}
}

func TestDialContextCanceled(t *testing.T) {
	cli := &Server{Loops: 1}
	defer cli.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cli.DialContext(ctx, "tcp", "127.0.0.1:1", newCollector(0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("DialContext with a canceled context: %v", err)
	}
}

func TestTimers(t *testing.T) {
	s := &Server{Loops: 1}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := s.Loop()
	got := make(chan int, 10)
	start := time.Now()
	l.Submit(func() {
		l.AfterFunc(60*time.Millisecond, func() { got <- 3 })
		l.AfterFunc(20*time.Millisecond, func() { got <- 1 })
		l.AfterFunc(40*time.Millisecond, func() { got <- 2 })
		stopped := l.AfterFunc(30*time.Millisecond, func() { got <- 99 })
		if !stopped.Stop() || stopped.Stop() {
			got <- -1
		}
	})
	for want := 1; want <= 3; want++ {
		if v := <-got; v != want {
			t.Fatalf("timer %d fired, want %d", v, want)
		}
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("timers fired after %v, want >= 60ms", d)
	}
}
