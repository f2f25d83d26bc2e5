package reactor

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// skipNoCompletion skips a test of the completion engine where it cannot
// run (a server asking for it would fall back).
func skipNoCompletion(t *testing.T) {
	t.Helper()
	if err := completionUnavailable(); err != nil {
		t.Skipf("completion engine unavailable: %v", err)
	}
}

// staleInjector echoes, and whenever a connection opens on a descriptor
// number that an earlier connection of the loop used, submits no-ops whose
// completions carry that earlier connection's user data (its receive, its
// error poll and its connect poll): what a completion posted for a closed
// descriptor looks like when it arrives after the number was reused. A
// receive completion with result 0 would read as end of file.
type staleInjector struct {
	echoHandler
	mu       sync.Mutex
	gens     map[int]uint32
	injected int
}

func (h *staleInjector) OnOpen(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.gens[c.fd]; ok && old != c.gen {
		for _, op := range []uint8{uopRecv, uopWatch, uopConnect} {
			c.l.sqe().PrepNop(uringData(c.fd, op, old))
			h.injected++
		}
	}
	h.gens[c.fd] = c.gen
	h.echoHandler.OnOpen(c)
}

// TestCompletionStaleAfterFDReuse: completions for a closed connection's
// requests never reach the connection that reuses its descriptor number
// (the generation in the user data differs), and are counted as stale.
func TestCompletionStaleAfterFDReuse(t *testing.T) {
	skipNoCompletion(t)
	h := &staleInjector{gens: map[int]uint32{}}
	s := &Server{Handler: h, Loops: 1, Engine: EngineCompletion}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	if s.loops[0].Engine() != EngineCompletion {
		t.Fatal("server fell back to the readiness engine")
	}
	churnBeside(t, addr.String())
	h.mu.Lock()
	injected := h.injected
	h.mu.Unlock()
	checkStale(t, s, &h.echoHandler, injected, 60, "completions")
}

// TestCompletionWakeFromGoroutines: Loop.Submit and Conn.AsyncWrite from
// many goroutines wake a completion loop blocked in io_uring_enter, and
// every function runs.
func TestCompletionWakeFromGoroutines(t *testing.T) {
	skipNoCompletion(t)
	conns := make(chan *Conn, 1)
	s := &Server{Handler: &funcHandler{open: func(c *Conn) { conns <- c }}, Loops: 1, Engine: EngineCompletion}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := <-conns
	l := sc.Loop()
	const goroutines, each = 8, 200
	var ran sync.WaitGroup
	ran.Add(goroutines * each)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := l.Submit(ran.Done); err != nil {
					t.Error(err)
					ran.Done()
				}
				if i%50 == 0 {
					time.Sleep(time.Millisecond) // let the loop block again
				}
			}
			sc.AsyncWrite([]byte("x"))
		}()
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { ran.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("submitted functions did not all run")
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, goroutines)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("async writes: %v", err)
	}
}

// TestCompletionCloseQuiesces: a loop that ends while a send waits for a
// peer that never reads cancels every request still in the kernel and
// waits for that before it closes the ring and returns the send's buffers
// (uringQuiesce); the cancellation completes and ends at least the eventfd
// read, and no send slot keeps its connection.
func TestCompletionCloseQuiesces(t *testing.T) {
	skipNoCompletion(t)
	opened := make(chan *Conn, 1)
	big := make([]byte, 8<<20)
	s := &Server{Handler: &funcHandler{open: func(c *Conn) {
		c.Write(big)
		opened <- c
	}}, Loops: 1, Engine: EngineCompletion}
	addr, stop := serve(t, s, "tcp", "127.0.0.1:0")
	if s.loops[0].Engine() != EngineCompletion {
		t.Fatal("server fell back to the readiness engine")
	}
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() // never read: the server's send waits for room
	select {
	case <-opened:
	case <-time.After(5 * time.Second):
		t.Fatal("connection not opened")
	}
	time.Sleep(50 * time.Millisecond) // the send is submitted and fills the socket
	stop()
	ur := s.loops[0].ur
	if ur.quiesced < 1 {
		t.Fatalf("closing cancellation ended %d requests, want at least 1 (-1: it did not complete)", ur.quiesced)
	}
	t.Logf("the closing cancellation ended %d requests", ur.quiesced)
	for i, sl := range ur.slots {
		if sl.c != nil {
			t.Fatalf("send slot %d still holds a connection after close", i)
		}
	}
}
