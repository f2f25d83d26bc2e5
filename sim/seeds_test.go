package sim_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/reactor"
	"github.com/eventpoll/eventpoll/sim"
)

// Flags for the seeded simulations: -seed replays one seed (with its trace
// on failure), -seeds sets how many TestSeeds runs.
var (
	seedFlag  = flag.Int64("seed", -1, "run TestSeeds with this one seed only (replay)")
	seedsFlag = flag.Int("seeds", 1000, "number of seeds TestSeeds runs")
)

// seedConfig is the kernel every seeded run uses: virtual clock, one task
// at a time, short reads and writes, shuffled delivery, random yields,
// small socket buffers (so that writes hit EAGAIN), network delays of up to
// 0, 1 or 2 ms (by seed), and a trace.
func seedConfig(seed int64) sim.Config {
	return sim.Config{
		Seed:          seed,
		Deterministic: true,
		ShortIO:       0.3,
		Shuffle:       true,
		Yield:         0.2,
		Trace:         true,
		SendBuffer:    2048,
		RecvBuffer:    2048,
		MaxDelay:      time.Duration(seed%3) * time.Millisecond,
	}
}

// replayHint is the one-line command that replays a failing seed.
func replayHint(test string, seed int64) string {
	return fmt.Sprintf("replay: go test ./sim -race -run '^%s$' -seed=%d -v", test, seed)
}

// echoServer is a server under simulation: started on k, it returns the
// address it listens on; stop closes it and waits for it to end; check
// reports leftover state after the clients are done.
type echoServer interface {
	start(k *sim.Kernel) (addr string, err error)
	settled() error
	stop()
}

// reactorEcho is the reactor's echo server with one loop.
type reactorEcho struct {
	trig  reactor.Trigger
	loops int
	srv   *reactor.Server
	h     *countingEcho
	errc  chan error
}

type countingEcho struct {
	mu             sync.Mutex
	opened, closed int
}

func (h *countingEcho) OnOpen(*reactor.Conn) {
	h.mu.Lock()
	h.opened++
	h.mu.Unlock()
}

func (h *countingEcho) OnData(c *reactor.Conn) { c.Write(c.Next(-1)) }

func (h *countingEcho) OnClose(*reactor.Conn, error) {
	h.mu.Lock()
	h.closed++
	h.mu.Unlock()
}

func (r *reactorEcho) start(k *sim.Kernel) (string, error) {
	r.h = &countingEcho{}
	r.srv = &reactor.Server{Handler: r.h, Loops: max(r.loops, 1), Kernel: k, Trigger: r.trig}
	ln, err := r.srv.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	r.errc = make(chan error, 1)
	go func() { r.errc <- r.srv.ServeListener(context.Background(), ln) }()
	addr := ln.Addr().String()
	// Settle: the loop has registered the listener and sleeps.
	if err := waitUntil(func() bool { return k.Idle() && listenerWatched(k, addr) }); err != nil {
		return "", fmt.Errorf("server did not settle: %w", err)
	}
	return addr, nil
}

func (r *reactorEcho) settled() error {
	r.h.mu.Lock()
	defer r.h.mu.Unlock()
	if r.h.opened != r.h.closed {
		return fmt.Errorf("server: %d connections opened, %d closed", r.h.opened, r.h.closed)
	}
	return nil
}

func (r *reactorEcho) stop() {
	r.srv.Close()
	<-r.errc
}

// listenerWatched reports whether the listening socket bound to addr is
// registered in an eventpoll.
func listenerWatched(k *sim.Kernel, addr string) bool {
	for fd := 0; fd < 16; fd++ {
		if a, err := k.LocalAddr(fd); err == nil && a.String() == addr && k.Watchers(fd) > 0 {
			return true
		}
	}
	return false
}

// waitUntil polls cond on the real clock for up to 10 s.
func waitUntil(cond func() bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		time.Sleep(50 * time.Microsecond)
	}
	return nil
}

// clientConn is one client connection of the driver.
type clientConn struct {
	fd       int
	send     []byte
	expect   []byte // the bytes the server must answer with
	sent     int
	got      []byte
	halfOpen bool // shut down writing when all is sent, then read to EOF
	dropOK   bool // a reset or an end of file before any reply is a drop, not an error
	dropped  bool
	abortAt  int // reset after this many bytes sent (-1: never)
	done     bool
	aborted  bool
	wrShut   bool
}

// runClients is the driver: seeded clients that connect to addr, send
// random data in random chunks, read the echo and check it byte for byte;
// some half-close, some reset midway. It runs on its own Poller (one task
// of the scheduler) and returns when every connection is done.
func runClients(k *sim.Kernel, addr string, seed int64, work workload) error {
	rng := rand.New(rand.NewSource(seed ^ 0x5eed))
	p, err := k.NewPoller("sim")
	if err != nil {
		return err
	}
	defer p.Close()
	conns := make([]*clientConn, 1+rng.Intn(4))
	for i := range conns {
		c := &clientConn{abortAt: -1}
		c.send, c.expect = work(rng, i)
		c.halfOpen = rng.Intn(2) == 0
		if rng.Intn(8) == 0 {
			c.abortAt = rng.Intn(len(c.send))
		}
		fd, err := k.Connect("tcp", addr)
		if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
			return fmt.Errorf("conn %d: connect: %w", i, err)
		}
		c.fd = fd
		if err := p.Add(fd, ep.Readable|ep.Writable|ep.ReadHangup|ep.EdgeTriggered, uint64(i)); err != nil {
			return fmt.Errorf("conn %d: add: %w", i, err)
		}
		conns[i] = c
	}
	left := len(conns)
	evs := make([]ep.Event, 1+rng.Intn(4))
	buf := make([]byte, 4096)
	for left > 0 {
		n, err := p.Wait(evs, 30*time.Second)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no progress for 30 s of virtual time (%d connections left)", left)
		}
		for _, e := range evs[:n] {
			c := conns[e.Data]
			if c.done {
				return fmt.Errorf("conn %d: event %v after it was closed", e.Data, e.Events)
			}
			if err := c.step(k, rng, buf); err != nil {
				return fmt.Errorf("conn %d (fd %d): %w", e.Data, c.fd, err)
			}
			if c.done {
				left--
			}
		}
	}
	return nil
}

// step handles one event: write what the socket takes, read until EAGAIN,
// finish the connection when the whole echo came back.
func (c *clientConn) step(k *sim.Kernel, rng *rand.Rand, buf []byte) error {
	err := c.step1(k, rng, buf)
	if err != nil && c.dropOK && len(c.got) == 0 {
		c.done, c.dropped = true, true
		return k.Close(c.fd)
	}
	return err
}

func (c *clientConn) step1(k *sim.Kernel, rng *rand.Rand, buf []byte) error {
	for c.sent < len(c.send) {
		if c.abortAt >= 0 && c.sent >= c.abortAt {
			c.done, c.aborted = true, true
			return k.Abort(c.fd)
		}
		end := min(len(c.send), c.sent+1+rng.Intn(4096))
		n, err := k.Write(c.fd, c.send[c.sent:end])
		c.sent += n
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			return fmt.Errorf("write after %d bytes: %w", c.sent, err)
		}
	}
	if c.sent == len(c.send) && c.halfOpen && !c.wrShut {
		c.wrShut = true
		if err := k.Shutdown(c.fd, syscall.SHUT_WR); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	for {
		n, err := k.Read(c.fd, buf)
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			return fmt.Errorf("read after %d bytes: %w", len(c.got), err)
		}
		if n == 0 {
			if !c.halfOpen || !bytes.Equal(c.got, c.expect) {
				return fmt.Errorf("end of file after %d of %d bytes (half-open %v)", len(c.got), len(c.expect), c.halfOpen)
			}
			c.done = true
			return k.Close(c.fd)
		}
		c.got = append(c.got, buf[:n]...)
		if len(c.got) > len(c.expect) || !bytes.Equal(c.got, c.expect[:len(c.got)]) {
			return fmt.Errorf("reply differs at or before byte %d", len(c.got))
		}
	}
	if !c.halfOpen && len(c.got) == len(c.expect) {
		c.done = true
		return k.Close(c.fd)
	}
	return nil
}

// workload makes connection i's request bytes and the reply the server
// must send.
type workload func(rng *rand.Rand, i int) (send, expect []byte)

// echoWork is random bytes, answered by themselves.
func echoWork(rng *rand.Rand, _ int) ([]byte, []byte) {
	b := make([]byte, 1+rng.Intn(12000))
	rng.Read(b)
	return b, b
}

// runSeed runs one seeded simulation of srv and returns the kernel (for
// its trace) and the first problem found.
func runSeed(seed int64, srv echoServer) (*sim.Kernel, error) {
	return runSeedWork(seed, srv, echoWork)
}

func runSeedWork(seed int64, srv echoServer, work workload) (*sim.Kernel, error) {
	k := sim.New(seedConfig(seed))
	addr, err := srv.start(k)
	if err != nil {
		return k, err
	}
	done := make(chan error, 1)
	go func() { done <- runClients(k, addr, seed, work) }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		err = fmt.Errorf("clients did not finish within 20 s of real time (stalled=%v)", k.Stalled())
	}
	if err == nil {
		// Let the server see the last closes, then check and stop it.
		if werr := waitUntil(k.Idle); werr != nil {
			err = fmt.Errorf("server did not settle after the clients: %w", werr)
		} else {
			err = srv.settled()
		}
	}
	srv.stop()
	if err == nil {
		if n := k.OpenFDs(); n != 0 {
			err = fmt.Errorf("%d descriptors left open after the server stopped", n)
		}
	}
	return k, err
}

func traceTail(k *sim.Kernel, n int) string {
	lines := k.Trace()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestSeeds drives the reactor's echo server (see seedServer: both trigger
// modes, one or two loops) on the simulated
// kernel under many seeds: each seed chooses the clients, their data, short
// reads and writes, half-closes, resets, the delivery order and the task
// interleaving. Nothing may be lost (every echo is checked byte for byte)
// and nothing may leak (every descriptor is closed after the server stops).
// A failing seed prints the command that replays it.
func TestSeeds(t *testing.T) {
	seeds := make([]int64, 0, *seedsFlag)
	if *seedFlag >= 0 {
		seeds = append(seeds, *seedFlag)
	} else {
		n := *seedsFlag
		if testing.Short() {
			n = min(n, 100)
		}
		for i := range n {
			seeds = append(seeds, int64(i+1))
		}
	}
	start := time.Now()
	for _, seed := range seeds {
		k, err := runSeed(seed, seedServer(seed))
		if err != nil {
			if *seedFlag >= 0 {
				t.Logf("trace of seed %d (last 200 lines):\n%s", seed, traceTail(k, 200))
			}
			t.Fatalf("seed %d: %v\n%s", seed, err, replayHint("TestSeeds", seed))
		}
	}
	t.Logf("%d seeds in %v", len(seeds), time.Since(start).Round(time.Millisecond))
}

// seedServer is the reactor echo server for a seed: edge-triggered for
// even seeds, level-triggered for odd ones; one loop, or two for every
// fourth seed (the loops are tasks of the scheduler too).
func seedServer(seed int64) *reactorEcho {
	r := &reactorEcho{trig: reactor.Edge, loops: 1}
	if seed%2 == 1 {
		r.trig = reactor.Level
	}
	if seed%4 == 3 {
		r.loops = 2
	}
	return r
}

// TestReplay runs one seed twice and requires identical traces, and a
// different seed to give a different one.
func TestReplay(t *testing.T) {
	const seed = 47 // seed%3 == 2: network delays on; seed%4 == 3: two loops
	k1, err := runSeed(seed, seedServer(seed))
	if err != nil {
		t.Fatalf("seed %d: %v\n%s", seed, err, replayHint("TestReplay", seed))
	}
	k2, err := runSeed(seed, seedServer(seed))
	if err != nil {
		t.Fatalf("seed %d, second run: %v", seed, err)
	}
	a, b := k1.Trace(), k2.Trace()
	if len(a) < 50 {
		t.Fatalf("trace too short to mean anything: %d lines", len(a))
	}
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			t.Logf("run 1 near the difference:\n%s\nrun 2:\n%s", strings.Join(a[max(0, i-30):min(len(a), i+5)], "\n"), strings.Join(b[max(0, i-30):min(len(b), i+5)], "\n"))
			t.Fatalf("traces of seed %d differ at line %d:\n  run 1: %s\n  run 2: %s", seed, i, a[i], b[i])
		}
	}
	if len(a) != len(b) {
		t.Fatalf("traces of seed %d differ in length: %d and %d lines", seed, len(a), len(b))
	}
	k3, err := runSeed(seed+1, seedServer(seed+1))
	if err != nil {
		t.Fatalf("seed %d: %v", seed+1, err)
	}
	if k3.TraceString() == k1.TraceString() {
		t.Fatalf("seeds %d and %d gave the same trace", seed, seed+1)
	}
	t.Logf("seed %d: %d trace lines, identical in two runs", seed, len(a))
}

// TestReactorFreeRunning runs the reactor with two loops on the simulated
// kernel in free-running mode (real clock, goroutines unscheduled, as on
// Linux), in both trigger modes, with four client drivers at once: under
// -race this checks the kernel's locking against a multi-loop reactor.
func TestReactorFreeRunning(t *testing.T) {
	for _, trig := range []reactor.Trigger{reactor.Edge, reactor.Level} {
		t.Run(trig.String(), func(t *testing.T) { freeRunningEcho(t, 7, "", trig, 4, 100) })
	}
}

// freeRunningEcho serves echo with two loops of backend on a free-running
// simulated kernel (seed; short reads and writes, small buffers) against
// drivers client drivers at once (seeds from driverSeed), then checks that
// every connection settled, Serve ended cleanly and no descriptor is left.
func freeRunningEcho(t *testing.T, seed int64, backend string, trig reactor.Trigger, drivers int, driverSeed int64) {
	t.Helper()
	k := sim.New(sim.Config{Seed: seed, ShortIO: 0.3, SendBuffer: 4096, RecvBuffer: 4096})
	h := &countingEcho{}
	srv := &reactor.Server{Handler: h, Loops: 2, Kernel: k, Backend: backend, Trigger: trig}
	ln, err := srv.Listen("tcp", "127.0.0.1:0")
	must(t, err, "Listen")
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeListener(context.Background(), ln) }()
	var wg sync.WaitGroup
	fail := make(chan error, drivers)
	for i := range drivers {
		wg.Go(func() {
			if err := runClients(k, ln.Addr().String(), driverSeed+int64(i), echoWork); err != nil {
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

func (h *countingEcho) settledCount() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.opened > 0 && h.opened == h.closed
}

// TestReactorIdleTimeoutVirtual: the reactor's idle timeout runs on the
// kernel's clock, so on the virtual clock a 30 s timeout takes no real
// time and fires exactly on time.
func TestReactorIdleTimeoutVirtual(t *testing.T) {
	k := sim.New(sim.Config{Deterministic: true, Seed: 1, Trace: true})
	h := &countingEcho{}
	srv := &reactor.Server{Handler: h, Loops: 1, Kernel: k, IdleTimeout: 30 * time.Second}
	ln, err := srv.Listen("tcp", "127.0.0.1:0")
	must(t, err, "Listen")
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeListener(context.Background(), ln) }()
	addr := ln.Addr().String()
	must(t, waitUntil(func() bool { return k.Idle() && listenerWatched(k, addr) }), "settle")
	realStart := time.Now()
	done := make(chan error, 1)
	var closedAfter time.Duration
	go func() {
		p, err := k.NewPoller("")
		if err != nil {
			done <- err
			return
		}
		defer p.Close()
		fd, _ := k.Connect("tcp", addr)
		p.Add(fd, ep.Readable|ep.ReadHangup, 1)
		start := k.Now()
		evs := make([]ep.Event, 2)
		buf := make([]byte, 16)
		for {
			n, err := p.Wait(evs, time.Minute)
			if err != nil || n == 0 {
				done <- fmt.Errorf("no close within a minute of virtual time (%v)", err)
				return
			}
			if m, err := k.Read(fd, buf); m == 0 && err == nil {
				closedAfter = k.Now().Sub(start)
				done <- k.Close(fd)
				return
			}
		}
	}()
	must(t, <-done, "client")
	if closedAfter < 30*time.Second || closedAfter > 31*time.Second {
		t.Fatalf("idle connection closed after %v of virtual time, want 30 s", closedAfter)
	}
	if el := time.Since(realStart); el > 5*time.Second {
		t.Fatalf("took %v of real time", el)
	}
	srv.Close()
	<-errc
	if n := k.OpenFDs(); n != 0 {
		t.Fatalf("%d descriptors open after Close", n)
	}
	t.Logf("closed after %v of virtual time, %v of real time", closedAfter, time.Since(realStart).Round(time.Millisecond))
}
