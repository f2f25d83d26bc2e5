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
			// A long-lived connection is checked after every churn step: a
			// stale Error|Hangup event reaching it would close it.
			keep, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer keep.Close()
			buf := make([]byte, 5)
			for i := 0; i < 40; i++ {
				// Open and close connections so the server reuses fd numbers.
				if err := streamOne("tcp", addr.String(), uint64(i), 1000); err != nil {
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
			k.mu.Lock()
			injected := k.injected
			k.mu.Unlock()
			stale := s.loops[0].stale.Load()
			if injected < 20 {
				t.Fatalf("only %d stale events injected: fd numbers were not reused", injected)
			}
			if stale < int64(injected) {
				t.Fatalf("%d stale events injected, only %d recognised as stale", injected, stale)
			}
			if _, _, errs := h.counts(); len(errs) != 0 {
				t.Fatalf("OnClose errors: %v", errs)
			}
		})
	}
}
