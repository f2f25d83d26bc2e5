package reactor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// workHandler answers each line with "<line>\n" computed off the loop by a
// work that sleeps a random while (so works would finish out of order if
// the pool did not keep a connection's order). "sleep N" sleeps N ms;
// "wait" blocks until the connection's context is cancelled; "panic"
// panics.
type workHandler struct {
	busy       atomic.Int32 // works in flight, all connections
	maxBusy    atomic.Int32
	dataDuring atomic.Int32 // OnData calls while this connection had work
	cancelled  chan error
	closeErr   chan error
}

type workState struct{ pending int }

func (h *workHandler) OnOpen(c *Conn) { c.SetContext(&workState{}) }

func (h *workHandler) OnData(c *Conn) {
	st := c.Context().(*workState)
	if st.pending > 0 {
		h.dataDuring.Add(1)
	}
	for {
		b := c.Peek(0)
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return
		}
		line := string(b[:i])
		c.Discard(i + 1)
		st.pending++
		c.Go(func(ctx context.Context) func() {
			n := h.busy.Add(1)
			for {
				m := h.maxBusy.Load()
				if n <= m || h.maxBusy.CompareAndSwap(m, n) {
					break
				}
			}
			defer h.busy.Add(-1)
			var ms int
			switch {
			case line == "wait":
				<-ctx.Done()
				h.cancelled <- ctx.Err()
				return nil
			case line == "panic":
				panic("work panic")
			case strings.HasPrefix(line, "sleep "):
				fmt.Sscan(line[6:], &ms)
				time.Sleep(time.Duration(ms) * time.Millisecond)
			default:
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			}
			return func() {
				st.pending--
				c.Write([]byte(line + "\n"))
			}
		})
	}
}

func (h *workHandler) OnClose(c *Conn, err error) {
	if h.closeErr != nil {
		h.closeErr <- err
	}
}

func TestWorkOrderAndPause(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			h := &workHandler{}
			s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			var want bytes.Buffer
			for i := range 200 {
				fmt.Fprintf(&want, "req%d\n", i)
			}
			// Half in one write, the rest a line at a time while work runs.
			lines := strings.SplitAfter(want.String(), "\n")
			c.Write([]byte(strings.Join(lines[:100], "")))
			go func() {
				for _, l := range lines[100:] {
					c.Write([]byte(l))
				}
			}()
			br := bufio.NewReader(c)
			for i := range 200 {
				got, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("reply %d: %v", i, err)
				}
				if w := fmt.Sprintf("req%d\n", i); got != w {
					t.Fatalf("reply %d = %q, want %q", i, got, w)
				}
			}
			if n := h.dataDuring.Load(); n != 0 {
				t.Fatalf("OnData called %d times while work was in flight", n)
			}
		})
	}
}

// TestWorkDoesNotBlockLoop: with one loop, a connection whose work sleeps
// does not delay another connection's work.
func TestWorkDoesNotBlockLoop(t *testing.T) {
	h := &workHandler{}
	s := &Server{Handler: h, Loops: 1}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	slow, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.Write([]byte("sleep 2000\n"))
	time.Sleep(20 * time.Millisecond)
	fast, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	fast.SetDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	fast.Write([]byte("sleep 1\n"))
	got, err := bufio.NewReader(fast).ReadString('\n')
	if err != nil || got != "sleep 1\n" {
		t.Fatalf("fast: %q %v", got, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("fast connection waited %v behind the slow one's work", d)
	}
}

// TestWorkContextCancelledOnClose: the peer goes away while a work waits;
// its context is cancelled.
func TestWorkContextCancelledOnClose(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) { testWorkCancel(t, m) })
	}
}

func testWorkCancel(t *testing.T, m mode) {
	h := &workHandler{cancelled: make(chan error, 1)}
	s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("wait\n"))
	time.Sleep(20 * time.Millisecond)
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	select {
	case err := <-h.cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("ctx.Err() = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("work context not cancelled after the peer reset")
	}
}

// TestWorkPoolBounded: Workers bounds the works running at once.
func TestWorkPoolBounded(t *testing.T) {
	h := &workHandler{}
	s := &Server{Handler: h, Loops: 2, Workers: 3}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			c.Write([]byte("sleep 30\nsleep 30\n"))
			br := bufio.NewReader(c)
			for range 2 {
				if _, err := br.ReadString('\n'); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if m := h.maxBusy.Load(); m > 3 || m < 2 {
		t.Fatalf("at most %d works ran at once, want 3 (Workers)", m)
	}
}

// TestWorkPanic: a panicking work aborts its connection with a PanicError.
func TestWorkPanic(t *testing.T) {
	h := &workHandler{closeErr: make(chan error, 2)}
	s := &Server{Handler: h, Loops: 1}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("panic\n"))
	select {
	case err := <-h.closeErr:
		var pe *PanicError
		if !errors.As(err, &pe) || pe.Value != "work panic" || !bytes.Contains(pe.Stack, []byte("workHandler")) {
			t.Fatalf("OnClose err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("connection not closed after a work panicked")
	}
}
