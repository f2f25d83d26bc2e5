package sim_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/eventpoll/eventpoll/reactor"
	"github.com/eventpoll/eventpoll/sim"
)

// TestReactorKqueue runs the reactor with two loops on eventpoll's kqueue
// backend over the simulated kqueue, and over the one that lacks what
// NetBSD's lacks (wake pipe, no EV_RECEIPT, no EV_DISPATCH), in both trigger
// modes, against sixteen client drivers at once (short reads and writes,
// half-closes, resets): the backend under a real event loop, and under
// -race its locking.
func TestReactorKqueue(t *testing.T) {
	for _, backend := range []string{"kqueue", "kqueue-netbsd"} {
		for _, trig := range []reactor.Trigger{reactor.Edge, reactor.Level} {
			t.Run(backend+"/"+trig.String(), func(t *testing.T) { reactorKqueue(t, backend, trig) })
		}
	}
}

func reactorKqueue(t *testing.T, backend string, trig reactor.Trigger) {
	k := sim.New(sim.Config{Seed: 11, ShortIO: 0.3, SendBuffer: 4096, RecvBuffer: 4096})
	h := &countingEcho{}
	srv := &reactor.Server{Handler: h, Loops: 2, Kernel: k, Backend: backend, Trigger: trig}
	ln, err := srv.Listen("tcp", "127.0.0.1:0")
	must(t, err, "Listen")
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeListener(context.Background(), ln) }()
	var wg sync.WaitGroup
	fail := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			if err := runClients(k, ln.Addr().String(), int64(300+i), echoWork); err != nil {
				fail <- err
			}
		})
	}
	wg.Wait()
	close(fail)
	for err := range fail {
		t.Fatal(err)
	}
	if err := waitUntil(func() bool { return h.settledCount() }); err != nil {
		t.Fatalf("server connections: %v", err)
	}
	srv.Close()
	if err := <-errc; err != nil && !errors.Is(err, reactor.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	if n := k.OpenFDs(); n != 0 {
		t.Fatalf("%d descriptors open after Close", n)
	}
}
