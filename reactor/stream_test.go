package reactor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
)

// longRun reports whether the full-size load tests were asked for.
func longRun() bool { return os.Getenv("EVENTPOLL_LONG") == "1" }

// prng is a small xorshift byte stream: the writer and the checker of one
// connection run two copies with the same seed, so no connection keeps its
// whole stream in memory. The stream does not depend on how it is chunked.
type prng struct {
	x    uint64
	word uint64
	left int // bytes left in word
}

func newPRNG(seed uint64) *prng { return &prng{x: seed | 1} }

func (r *prng) next() uint64 {
	r.x ^= r.x << 13
	r.x ^= r.x >> 7
	r.x ^= r.x << 17
	return r.x
}

func (r *prng) fill(p []byte) {
	for len(p) > 0 && r.left > 0 {
		p[0] = byte(r.word)
		r.word >>= 8
		r.left--
		p = p[1:]
	}
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, r.next())
		p = p[8:]
	}
	if len(p) > 0 {
		r.word, r.left = r.next(), 8
		r.fill(p)
	}
}

// streamOne sends size random bytes in random chunk sizes over a new
// connection, half-closes it, and checks that exactly the same bytes come
// back followed by end of file.
func streamOne(network, addr string, seed uint64, size int) error {
	c, err := net.DialTimeout(network, addr, 30*time.Second)
	if err != nil {
		return err
	}
	return streamConn(c, seed, size)
}

// streamConn is streamOne on an established connection, which it closes.
func streamConn(c net.Conn, seed uint64, size int) error {
	defer c.Close()
	c.SetDeadline(time.Now().Add(300 * time.Second))
	werr := make(chan error, 1)
	go func() {
		data := newPRNG(seed)
		sizes := newPRNG(seed*7 + 3)
		buf := make([]byte, 32<<10)
		for left := size; left > 0; {
			k := min(int(sizes.next()%uint64(len(buf)))+1, left)
			data.fill(buf[:k])
			if _, err := c.Write(buf[:k]); err != nil {
				werr <- err
				return
			}
			left -= k
		}
		werr <- c.(interface{ CloseWrite() error }).CloseWrite()
	}()
	want := newPRNG(seed)
	got := make([]byte, 32<<10)
	exp := make([]byte, 32<<10)
	read := 0
	for read < size {
		n, err := c.Read(got[:min(len(got), size-read)])
		if n > 0 {
			want.fill(exp[:n])
			if !bytes.Equal(got[:n], exp[:n]) {
				for i := 0; i < n; i++ {
					if got[i] != exp[i] {
						return fmt.Errorf("byte %d differs: got %#x want %#x", read+i, got[i], exp[i])
					}
				}
			}
			read += n
		}
		if err != nil {
			return fmt.Errorf("after %d of %d bytes: %w", read, size, err)
		}
	}
	if n, err := c.Read(got[:1]); n != 0 || err != io.EOF {
		return fmt.Errorf("after the echo: n=%d err=%v, want end of file", n, err)
	}
	return <-werr
}

// streamMany opens conns connections, then runs streamConn on all of them
// at once.
func streamMany(t *testing.T, network, addr string, conns, size int) {
	t.Helper()
	cs := make([]net.Conn, conns)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var failed atomic.Int32
	for i := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.DialTimeout(network, addr, 30*time.Second)
			if err != nil {
				if failed.Add(1) <= 5 {
					t.Errorf("connection %d: %v", i, err)
				}
				return
			}
			cs[i] = c
		}(i)
	}
	wg.Wait()
	for i, c := range cs {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func(i int, c net.Conn) {
			defer wg.Done()
			if err := streamConn(c, uint64(i)*0x9e3779b97f4a7c15+11, size); err != nil {
				if failed.Add(1) <= 5 {
					t.Errorf("connection %d: %v", i, err)
				}
			}
		}(i, c)
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d connections failed", n, conns)
	}
}

// streamSize picks the connection count and bytes per connection: the full
// 1000 x 1 MiB with EVENTPOLL_LONG=1, less by default, and within
// FD_SETSIZE (client and server sockets share this process) for select:
// 200 connections, fewer where FDSetSize is smaller (NetBSD: 256). epoll and
// the completion engine get 1000 connections by default.
func streamSize(m mode) (conns, size int) {
	switch backend := m.backend; {
	case backend == "select":
		conns, size = min(200, (eventpoll.FDSetSize-64)/2), 64<<10
	case longRun():
		conns, size = 1000, 1<<20
	case (backend == "epoll" || m.engine == EngineCompletion) && !testing.Short():
		conns, size = 1000, 64<<10
	default:
		conns, size = 200, 64<<10
	}
	if longRun() {
		size = 1 << 20
	}
	return conns, size
}

func TestStreamEcho(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			conns, size := streamSize(m)
			h := &echoHandler{}
			s := &Server{Handler: h, Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine,
				// Small buffers and budgets exercise the slow paths: short
				// reads, budgets, backpressure.
				ReadBufferSize: 16 << 10, ReadBudget: 32 << 10, WriteHighWater: 64 << 10, WriteLowWater: 16 << 10}
			addr, stop := serve(t, s, "tcp4", "127.0.0.1:0")
			start := time.Now()
			streamMany(t, "tcp", addr.String(), conns, size)
			t.Logf("%d connections x %d bytes echoed in %v", conns, size, time.Since(start).Round(time.Millisecond))
			stop()
			opened, closed, errs := h.counts()
			if opened != conns || closed != conns {
				t.Errorf("opened %d closed %d, want %d each", opened, closed, conns)
			}
			for _, err := range errs[:min(len(errs), 5)] {
				t.Errorf("OnClose error: %v", err)
			}
		})
	}
}

func TestStreamEchoUntilEAGAIN(t *testing.T) {
	s := &Server{Handler: &echoHandler{}, Loops: 2, ReadUntilEAGAIN: true, ReadBufferSize: 512}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	streamMany(t, "tcp", addr.String(), 50, 64<<10)
}

func TestStreamEchoDefaults(t *testing.T) {
	s := &Server{Handler: &echoHandler{}}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	streamMany(t, "tcp", addr.String(), 50, 64<<10)
}

func TestStreamEchoIPv6(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			s := &Server{Handler: &echoHandler{}, Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "tcp6", "[::1]:0")
			if a := addr.(*net.TCPAddr); a.IP.To4() != nil {
				t.Fatalf("bound %v, want an IPv6 address", a)
			}
			streamMany(t, "tcp6", addr.String(), 20, 32<<10)
		})
	}
}

func TestStreamEchoUnix(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "echo.sock")
			s := &Server{Handler: &echoHandler{}, Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "unix", path)
			streamMany(t, "unix", addr.String(), 20, 32<<10)
		})
	}
}

func TestStreamEchoReusePort(t *testing.T) {
	s := &Server{Handler: &echoHandler{}, Loops: 3, Accept: AcceptReusePort}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if len(ln.fds) != 3 {
		t.Fatalf("%d sockets, want one per loop", len(ln.fds))
	}
	ln.Close()
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	streamMany(t, "tcp", addr.String(), 60, 64<<10)
}

func TestServeNetListener(t *testing.T) {
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: &echoHandler{}, Loops: 2}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(t.Context(), nl) }()
	streamMany(t, "tcp", nl.Addr().String(), 20, 64<<10)
	s.Close()
	if err := <-errc; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v, want ErrServerClosed", err)
	}
}

func TestUnknownBackend(t *testing.T) {
	s := &Server{Handler: &echoHandler{}, Backend: "nope"}
	if _, err := s.Listen("tcp", "127.0.0.1:0"); !errors.Is(err, eventpoll.ErrUnknownBackend) {
		t.Fatalf("Listen with an unknown backend: %v", err)
	}
}

func TestPRNGChunking(t *testing.T) {
	a, b := newPRNG(7), newPRNG(7)
	whole := make([]byte, 1000)
	a.fill(whole)
	parts := make([]byte, 0, 1000)
	for _, k := range []int{1, 3, 8, 13, 100, 875} {
		p := make([]byte, k)
		b.fill(p)
		parts = append(parts, p...)
	}
	if !bytes.Equal(whole, parts) {
		t.Fatal("the stream depends on how it is chunked")
	}
}

// TestAcceptBalance: with AcceptBalance, connections that stay open are
// spread evenly over the loops (each goes to the loop with the fewest).
func TestAcceptBalance(t *testing.T) {
	const loops, conns = 4, 40
	s := &Server{Handler: &echoHandler{}, Loops: loops}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		// One echo: the connection is registered in its loop.
		c.Write([]byte("x"))
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
	}
	for i, l := range s.loops {
		if n := l.nconns.Load(); n != conns/loops {
			t.Errorf("loop %d has %d connections, want %d", i, n, conns/loops)
		}
	}
}
