package sim_test

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"
	"sync"
	"testing"

	"github.com/eventpoll/eventpoll/proto/resp"
	"github.com/eventpoll/eventpoll/reactor"
	"github.com/eventpoll/eventpoll/sim"
)

// respServer is the RESP server (proto/resp on the reactor, one loop) under
// simulation, with its handler wrapped to count connections.
type respServer struct {
	srv  *reactor.Server
	h    *countingResp
	errc chan error
}

type countingResp struct {
	*resp.Handler
	mu             sync.Mutex
	opened, closed int
}

func (h *countingResp) OnOpen(c *reactor.Conn) {
	h.mu.Lock()
	h.opened++
	h.mu.Unlock()
	h.Handler.OnOpen(c)
}

func (h *countingResp) OnClose(c *reactor.Conn, err error) {
	h.mu.Lock()
	h.closed++
	h.mu.Unlock()
	h.Handler.OnClose(c, err)
}

func (r *respServer) start(k *sim.Kernel) (string, error) {
	// No sweeper: it would run on its own goroutine and the real clock.
	r.h = &countingResp{Handler: resp.NewHandler(resp.Config{SweepInterval: -1})}
	r.srv = &reactor.Server{Handler: r.h, Loops: 1, Kernel: k, MaxInbound: r.h.InboundLimit()}
	ln, err := r.srv.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	r.errc = make(chan error, 1)
	go func() { r.errc <- r.srv.ServeListener(context.Background(), ln) }()
	addr := ln.Addr().String()
	if err := waitUntil(func() bool { return k.Idle() && listenerWatched(k, addr) }); err != nil {
		return "", fmt.Errorf("server did not settle: %w", err)
	}
	return addr, nil
}

func (r *respServer) settled() error {
	r.h.mu.Lock()
	defer r.h.mu.Unlock()
	if r.h.opened != r.h.closed {
		return fmt.Errorf("server: %d connections opened, %d closed", r.h.opened, r.h.closed)
	}
	return nil
}

func (r *respServer) stop() {
	r.srv.Close()
	<-r.errc
	r.h.Close()
}

// respWork is a pipelined RESP session on keys of its own connection:
// SET, GET, INCR, APPEND, GET of a missing key, DEL, with the exact replies.
func respWork(rng *rand.Rand, conn int) ([]byte, []byte) {
	var send, expect []byte
	cmd := func(args ...string) {
		send = append(send, '*')
		send = strconv.AppendInt(send, int64(len(args)), 10)
		send = append(send, "\r\n"...)
		for _, a := range args {
			send = append(send, '$')
			send = strconv.AppendInt(send, int64(len(a)), 10)
			send = append(send, "\r\n"...)
			send = append(send, a...)
			send = append(send, "\r\n"...)
		}
	}
	bulk := func(v string) {
		expect = append(expect, '$')
		expect = strconv.AppendInt(expect, int64(len(v)), 10)
		expect = append(expect, "\r\n"...)
		expect = append(expect, v...)
		expect = append(expect, "\r\n"...)
	}
	letters := "abcdefghijklmnopqrstuvwxyz0123456789"
	value := func() string {
		b := make([]byte, rng.Intn(600))
		for i := range b {
			b[i] = letters[rng.Intn(len(letters))]
		}
		return string(b)
	}
	ctr := 0
	for j := range 1 + rng.Intn(30) {
		key := fmt.Sprintf("c%d:k%d", conn, j)
		switch rng.Intn(4) {
		case 0:
			v := value()
			cmd("SET", key, v)
			expect = append(expect, "+OK\r\n"...)
			cmd("GET", key)
			bulk(v)
		case 1:
			ctr++
			cmd("INCR", fmt.Sprintf("c%d:ctr", conn))
			expect = append(expect, ':')
			expect = strconv.AppendInt(expect, int64(ctr), 10)
			expect = append(expect, "\r\n"...)
		case 2:
			a, b := value(), value()
			cmd("APPEND", key, a)
			expect = append(expect, ':')
			expect = strconv.AppendInt(expect, int64(len(a)), 10)
			expect = append(expect, "\r\n"...)
			cmd("APPEND", key, b)
			expect = append(expect, ':')
			expect = strconv.AppendInt(expect, int64(len(a)+len(b)), 10)
			expect = append(expect, "\r\n"...)
			cmd("GET", key)
			bulk(a + b)
			cmd("DEL", key)
			expect = append(expect, ":1\r\n"...)
		case 3:
			cmd("GET", key+":missing")
			expect = append(expect, "$-1\r\n"...)
		}
	}
	return send, expect
}

// TestSeedsRESP drives the RESP server on the simulated kernel under 1000
// seeds: pipelined commands split at random points, short reads and
// writes, delays, half-closes and resets; every reply is checked byte for
// byte and every descriptor must be closed at the end.
func TestSeedsRESP(t *testing.T) {
	n := *seedsFlag
	if testing.Short() {
		n = min(n, 100)
	}
	if *seedFlag >= 0 {
		n = 1
	}
	for i := range n {
		seed := int64(i + 1)
		if *seedFlag >= 0 {
			seed = *seedFlag
		}
		k, err := runSeedWork(seed, &respServer{}, respWork)
		if err != nil {
			if *seedFlag >= 0 {
				t.Logf("trace of seed %d (last 200 lines):\n%s", seed, traceTail(k, 200))
			}
			t.Fatalf("seed %d: %v\n%s", seed, err, replayHint("TestSeedsRESP", seed))
		}
	}
}
