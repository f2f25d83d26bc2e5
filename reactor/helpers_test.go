package reactor

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
)

// echoHandler writes back what it reads and records close errors.
type echoHandler struct {
	mu     sync.Mutex
	opened int
	closed int
	errs   []error
}

func (h *echoHandler) OnOpen(c *Conn) {
	h.mu.Lock()
	h.opened++
	h.mu.Unlock()
}

func (h *echoHandler) OnData(c *Conn) { c.Write(c.Next(-1)) }

func (h *echoHandler) OnClose(c *Conn, err error) {
	h.mu.Lock()
	h.closed++
	if err != nil {
		h.errs = append(h.errs, err)
	}
	h.mu.Unlock()
}

func (h *echoHandler) counts() (opened, closed int, errs []error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.opened, h.closed, append([]error(nil), h.errs...)
}

// mode is one backend and trigger combination under test.
type mode struct {
	backend string
	trigger Trigger
	engine  Engine
}

func (m mode) String() string {
	if m.engine == EngineCompletion {
		return "io_uring-completion"
	}
	return m.backend + "/" + m.trigger.String()
}

// modes lists every registered backend with both trigger modes, and the
// completion engine where this system can run it (elsewhere a server asking
// for it falls back, which the fallback tests cover).
func modes() []mode {
	var ms []mode
	for _, b := range eventpoll.Backends() {
		ms = append(ms, mode{backend: b, trigger: Edge}, mode{backend: b, trigger: Level})
	}
	if completionUnavailable() == nil {
		ms = append(ms, mode{backend: "io_uring", engine: EngineCompletion})
	}
	return ms
}

// testKernels names the Kernels other than Host that tests run servers on
// (in child processes too, which get the name in the environment); a name
// not in it is nil, which is Host.
var testKernels = map[string]eventpoll.Kernel{}

// serve starts s on a loopback listener and returns its address and a
// function that closes the server and reports Serve's result.
func serve(t testing.TB, s *Server, network, address string) (net.Addr, func()) {
	t.Helper()
	ln, err := s.Listen(network, address)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.ServeListener(context.Background(), ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			s.Close()
			select {
			case err := <-errc:
				if !errors.Is(err, ErrServerClosed) && err != nil {
					t.Errorf("ServeListener: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("ServeListener did not return after Close")
			}
		})
	}
	t.Cleanup(stop)
	return ln.Addr(), stop
}

// countFDs returns the number of open descriptors of this process.
func countFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}
