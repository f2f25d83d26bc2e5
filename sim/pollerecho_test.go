package sim_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/sim"
)

// pollerEcho is the seeds' edge-triggered echo server written directly on
// a Poller: accept until EAGAIN, read until EAGAIN, queue the echo and write
// it until EAGAIN, close after end of file once everything is sent. It
// exercises the scheduler without the reactor.
type pollerEcho struct {
	k     *sim.Kernel
	p     ep.Poller
	ln    int
	stopF atomic.Bool
	done  chan error
	open  atomic.Int32
}

type echoConn struct {
	out []byte
	eof bool
}

func (e *pollerEcho) start(k *sim.Kernel) (string, error) {
	e.k = k
	e.done = make(chan error, 1)
	p, err := k.NewPoller("")
	if err != nil {
		return "", err
	}
	e.p = p
	e.ln, err = k.Listen("tcp", "127.0.0.1:0", ep.ListenOptions{})
	if err != nil {
		return "", err
	}
	if err := p.Add(e.ln, ep.Readable|ep.EdgeTriggered, uint64(e.ln)); err != nil {
		return "", err
	}
	addr, _ := k.LocalAddr(e.ln)
	go func() { e.done <- e.serve() }()
	if err := waitUntil(k.Idle); err != nil {
		return "", err
	}
	return addr.String(), nil
}

func (e *pollerEcho) serve() error {
	k, p := e.k, e.p
	conns := map[int]*echoConn{}
	evs := make([]ep.Event, 8)
	buf := make([]byte, 1500)
	closeConn := func(fd int) {
		p.Delete(fd)
		k.Close(fd)
		delete(conns, fd)
		e.open.Add(-1)
	}
	for !e.stopF.Load() {
		n, err := p.Wait(evs, -1)
		if err != nil {
			return err
		}
		for _, ev := range evs[:n] {
			fd := int(ev.Data)
			if fd == e.ln {
				for {
					c, err := k.Accept(e.ln)
					if errors.Is(err, syscall.EAGAIN) {
						break
					}
					if err != nil {
						return fmt.Errorf("accept: %w", err)
					}
					conns[c] = &echoConn{}
					e.open.Add(1)
					if err := p.Add(c, ep.Readable|ep.Writable|ep.ReadHangup|ep.EdgeTriggered, uint64(c)); err != nil {
						return err
					}
				}
				continue
			}
			c := conns[fd]
			if c == nil {
				return fmt.Errorf("event %v for fd %d that is not open", ev.Events, fd)
			}
			failed := false
			for !c.eof {
				m, err := k.Read(fd, buf)
				if errors.Is(err, syscall.EAGAIN) {
					break
				}
				if err != nil {
					failed = true
					break
				}
				if m == 0 {
					c.eof = true
					break
				}
				c.out = append(c.out, buf[:m]...)
			}
			for !failed && len(c.out) > 0 {
				m, err := k.Write(fd, c.out)
				c.out = c.out[m:]
				if errors.Is(err, syscall.EAGAIN) {
					break
				}
				if err != nil {
					failed = true
				}
			}
			if failed || (c.eof && len(c.out) == 0) {
				closeConn(fd)
			}
		}
	}
	for fd := range conns {
		closeConn(fd)
	}
	k.Close(e.ln)
	return p.Close()
}

func (e *pollerEcho) settled() error {
	if n := e.open.Load(); n != 0 {
		return fmt.Errorf("server: %d connections still open", n)
	}
	return nil
}

func (e *pollerEcho) stop() {
	e.stopF.Store(true)
	e.p.Wake()
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
	}
}

// TestSeedsPollerEcho is TestSeeds with the echo server written on the
// Poller (no reactor): the scheduler, virtual clock and fault injection
// alone.
func TestSeedsPollerEcho(t *testing.T) {
	n := 300
	if *seedFlag >= 0 {
		n = 1
	}
	for i := range n {
		seed := int64(i + 1)
		if *seedFlag >= 0 {
			seed = *seedFlag
		}
		k, err := runSeed(seed, &pollerEcho{})
		if err != nil {
			if *seedFlag >= 0 {
				t.Logf("trace of seed %d (last 200 lines):\n%s", seed, traceTail(k, 200))
			}
			t.Fatalf("seed %d: %v\n%s", seed, err, replayHint("TestSeedsPollerEcho", seed))
		}
	}
}
