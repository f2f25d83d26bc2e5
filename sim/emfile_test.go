package sim_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"syscall"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/reactor"
	"github.com/eventpoll/eventpoll/sim"
)

// TestReactorEMFILE fills the simulated fd table so that the reactor's
// Accept fails with EMFILE, deterministically: the server must neither
// spin nor die. It sheds connections it cannot take (the reserve-fd trick)
// and pauses the listener with a backoff on the virtual clock; every client
// is either served correctly or dropped before any reply, and nothing
// leaks.
func TestReactorEMFILE(t *testing.T) {
	const clients = 10
	// Server: poller (2) + placeholder (1) + listener (1); driver poller
	// (2); clients (10): 16 open before any accept; 4 more fit.
	k := sim.New(sim.Config{Deterministic: true, Seed: 5, MaxFDs: 20, Trace: true})
	h := &countingEcho{}
	srv := &reactor.Server{Handler: h, Loops: 1, Kernel: k}
	ln, err := srv.Listen("tcp", "127.0.0.1:0")
	must(t, err, "Listen")
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeListener(context.Background(), ln) }()
	addr := ln.Addr().String()
	must(t, waitUntil(func() bool { return k.Idle() && listenerWatched(k, addr) }), "settle")
	start := k.Now()

	done := make(chan error, 1)
	conns := make([]*clientConn, clients)
	go func() {
		done <- func() error {
			rng := rand.New(rand.NewSource(5))
			p, err := k.NewPoller("")
			if err != nil {
				return err
			}
			defer p.Close()
			for i := range conns {
				fd, err := k.Connect("tcp", addr)
				if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
					return fmt.Errorf("connect %d: %w", i, err)
				}
				b := make([]byte, 100+rng.Intn(3000))
				rng.Read(b)
				conns[i] = &clientConn{fd: fd, send: b, expect: b, abortAt: -1, dropOK: true}
				if err := p.Add(fd, ep.Readable|ep.Writable|ep.ReadHangup|ep.EdgeTriggered, uint64(i)); err != nil {
					return err
				}
			}
			left := clients
			evs := make([]ep.Event, 4)
			buf := make([]byte, 4096)
			for left > 0 {
				n, err := p.Wait(evs, time.Minute)
				if err != nil || n == 0 {
					return fmt.Errorf("no progress for a minute of virtual time (%d left): %v", left, err)
				}
				for _, e := range evs[:n] {
					c := conns[e.Data]
					if c.done {
						continue
					}
					if err := c.step(k, rng, buf); err != nil {
						return fmt.Errorf("conn %d: %w", e.Data, err)
					}
					if c.done {
						left--
					}
				}
			}
			return nil
		}()
	}()
	select {
	case err := <-done:
		must(t, err, "clients")
	case <-time.After(20 * time.Second):
		t.Fatalf("clients stalled (stalled=%v)", k.Stalled())
	}
	served, dropped := 0, 0
	for _, c := range conns {
		if c.dropped {
			dropped++
		} else {
			served++
		}
	}
	accepts := 0
	for _, l := range k.Trace() {
		if strings.Contains(l, "accept ") {
			accepts++
		}
	}
	must(t, waitUntil(k.Idle), "server settles")
	must(t, (&reactorEcho{h: h}).settled(), "server")
	srv.Close()
	<-errc
	if n := k.OpenFDs(); n != 0 {
		t.Fatalf("%d descriptors open after Close", n)
	}
	if served == 0 || dropped == 0 {
		t.Fatalf("served %d, dropped %d: want the fd limit to drop some and serve others", served, dropped)
	}
	if accepts > 10*clients {
		t.Fatalf("%d Accept calls for %d clients: the listener spins", accepts, clients)
	}
	emfile := strings.Count(k.TraceString(), "EMFILE")
	if emfile == 0 {
		t.Fatal("Accept never failed with EMFILE: the scenario does not test the limit")
	}
	t.Logf("%d served, %d dropped, %d accept calls (%d EMFILE), %v of virtual time", served, dropped, accepts, emfile, k.Now().Sub(start))
}
