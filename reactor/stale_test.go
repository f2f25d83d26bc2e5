package reactor

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
)

// staleKernel wraps a Kernel so that its pollers report, after an fd number
// is registered again with new data, one extra event carrying the data of
// the registration before: what a real kernel does when an event for the
// old descriptor was harvested in the same batch in which it was closed and
// its number reused.
type staleKernel struct {
	eventpoll.Kernel
	mu       sync.Mutex
	injected int
}

func (k *staleKernel) NewPoller(backend string) (eventpoll.Poller, error) {
	p, err := k.Kernel.NewPoller(backend)
	if err != nil {
		return nil, err
	}
	return &stalePoller{Poller: p, k: k, last: map[int]uint64{}}, nil
}

type stalePoller struct {
	eventpoll.Poller
	k       *staleKernel
	mu      sync.Mutex
	last    map[int]uint64
	pending []eventpoll.Event
}

func (p *stalePoller) Add(fd int, ev eventpoll.Events, data uint64) error {
	p.mu.Lock()
	if old, ok := p.last[fd]; ok && old != data {
		p.pending = append(p.pending, eventpoll.Event{
			Events: eventpoll.Readable | eventpoll.Error | eventpoll.Hangup | eventpoll.ReadHangup,
			Data:   old,
		})
	}
	p.last[fd] = data
	p.mu.Unlock()
	return p.Poller.Add(fd, ev, data)
}

func (p *stalePoller) Wait(events []eventpoll.Event, timeout time.Duration) (int, error) {
	p.mu.Lock()
	k := copy(events, p.pending)
	p.pending = p.pending[:copy(p.pending, p.pending[k:])]
	p.mu.Unlock()
	if k > 0 {
		p.k.mu.Lock()
		p.k.injected += k
		p.k.mu.Unlock()
		timeout = 0
	}
	if k == len(events) {
		return k, nil
	}
	n, err := p.Poller.Wait(events[k:], timeout)
	return k + n, err
}

func TestStaleEventAfterFDReuse(t *testing.T) {
	for _, m := range modes() {
		if m.engine == EngineCompletion {
			continue // needs the host Kernel; TestCompletionStaleAfterFDReuse is its case
		}
		t.Run(m.String(), func(t *testing.T) {
			k := &staleKernel{Kernel: eventpoll.Host()}
			h := &echoHandler{}
			s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, Kernel: k}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			churnBeside(t, addr.String())
			k.mu.Lock()
			injected := k.injected
			k.mu.Unlock()
			checkStale(t, s, h, injected, 20, "events")
		})
	}
}

// churnBeside opens a long-lived connection to addr, then opens and closes
// 40 short ones so the server reuses descriptor numbers, and checks after
// each that the long-lived connection still echoes: a stale event or
// completion reaching it would close it.
func churnBeside(t *testing.T, addr string) {
	t.Helper()
	keep, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	buf := make([]byte, 5)
	for i := 0; i < 40; i++ {
		if err := streamOne("tcp", addr, uint64(i), 1000); err != nil {
			t.Fatalf("churn %d: %v", i, err)
		}
		keep.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := keep.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if _, err := keep.Read(buf); err != nil {
			t.Fatalf("long-lived connection after churn %d: %v", i, err)
		}
	}
	time.Sleep(50 * time.Millisecond)
}

// checkStale requires at least least injected stale events (what names
// them), every one of them counted as stale by s's loop, and no OnClose
// error seen by h.
func checkStale(t *testing.T, s *Server, h *echoHandler, injected, least int, what string) {
	t.Helper()
	stale := s.loops[0].stale.Load()
	if injected < least {
		t.Fatalf("only %d stale %s injected: descriptor numbers were not reused", injected, what)
	}
	if stale < int64(injected) {
		t.Fatalf("%d stale %s injected, only %d recognised as stale", injected, what, stale)
	}
	if _, _, errs := h.counts(); len(errs) != 0 {
		t.Fatalf("OnClose errors: %v", errs)
	}
}
