package reactor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
)

// bigReplySession answers each line with a reply of size bytes that starts
// with the request's number ("%09d\n"), counting the requests it ran.
type bigReplySession struct {
	size int
	next int
	ran  *atomic.Int64
}

func (s *bigReplySession) ProcessLimit(in, out []byte, limit int) (int, []byte, bool) {
	pos := 0
	for {
		i := bytes.IndexByte(in[pos:], '\n')
		if i < 0 {
			return pos, out, false
		}
		pos += i + 1
		if string(in[pos-i-1:pos]) == "quit\n" {
			return pos, append(out, "bye\n"...), true
		}
		out = fmt.Appendf(out, "%09d\n", s.next)
		out = append(out, make([]byte, s.size-10)...)
		s.next++
		s.ran.Add(1)
		if len(out) >= limit {
			return pos, out, false
		}
	}
}

// pipeProbe is a Pipeline that records the most output it ever saw queued
// when a callback returned, and the close error.
type pipeProbe struct {
	Pipeline
	ran    atomic.Int64
	peak   atomic.Int64
	closed chan error
}

func newPipeProbe(size int, smallSndBuf bool) *pipeProbe {
	p := &pipeProbe{closed: make(chan error, 1)}
	p.Pipeline = Pipeline{NewSession: func(c *Conn) PipelineSession {
		if smallSndBuf {
			eventpoll.Host().SetBuffers(c.Fd(), 0, 32<<10)
		}
		return &bigReplySession{size: size, ran: &p.ran}
	}}
	return p
}

func (p *pipeProbe) note(c *Conn) {
	if n := int64(c.OutboundBuffered()); n > p.peak.Load() {
		p.peak.Store(n)
	}
}
func (p *pipeProbe) OnData(c *Conn)     { p.Pipeline.OnData(c); p.note(c) }
func (p *pipeProbe) OnWritable(c *Conn) { p.Pipeline.OnWritable(c); p.note(c) }
func (p *pipeProbe) OnClose(c *Conn, err error) {
	p.Pipeline.OnClose(c, err)
	select {
	case p.closed <- err:
	default: // the tests that read it have one connection
	}
}

// quiet waits until f stops changing for 300 ms and returns its value.
func quiet(t *testing.T, f func() int64) int64 {
	t.Helper()
	last, since := f(), time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		if v := f(); v != last {
			last, since = v, time.Now()
		} else if time.Since(since) > 300*time.Millisecond {
			return v
		}
	}
	t.Fatal("the server never settled")
	return 0
}

// readReplies reads n replies of size bytes and checks their numbers.
func readReplies(t *testing.T, r *bufio.Reader, from, n, size int) {
	t.Helper()
	buf := make([]byte, size)
	for i := from; i < from+n; i++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if got, _ := strconv.Atoi(string(buf[:9])); got != i {
			t.Fatalf("reply %d carries number %q", i, buf[:9])
		}
	}
}

// TestPipelineBoundsOutput pipelines N requests of a 16 KiB reply each in one
// write and never reads: the requests beyond the high-water mark wait, so
// the queued output stays within WriteHighWater plus one step whatever N is.
// Then the client reads, and every reply arrives in order.
func TestPipelineBoundsOutput(t *testing.T) {
	const size, high = 16 << 10, 64 << 10
	for _, m := range modes() {
		for _, n := range []int{10, 1000, 100000} {
			t.Run(fmt.Sprintf("%s/N=%d", m, n), func(t *testing.T) {
				p := newPipeProbe(size, true) // the socket takes little, the queue the rest
				s := &Server{Handler: p, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine,
					WriteHighWater: high, WriteLowWater: high / 4}
				addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
				c, err := net.Dial("tcp", addr.String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.(*net.TCPConn).SetReadBuffer(32 << 10)
				go c.Write(bytes.Repeat([]byte("g\n"), n))
				ran := quiet(t, p.ran.Load)
				bound := int64(high + pipeChunk + size)
				if peak := p.peak.Load(); peak > bound {
					t.Fatalf("queued output peaked at %d bytes, bound %d", peak, bound)
				}
				if n >= 1000 && ran >= int64(n) {
					t.Fatalf("all %d requests ran while the client read nothing", n)
				}
				r := bufio.NewReader(c)
				want := min(n, 1000)
				readReplies(t, r, 0, want, size)
				if want == n {
					c.(*net.TCPConn).CloseWrite()
					if b, err := r.ReadByte(); err != io.EOF {
						t.Fatalf("after the last reply: %q %v, want EOF", b, err)
					}
				}
				if peak := p.peak.Load(); peak > bound {
					t.Fatalf("queued output peaked at %d bytes, bound %d", peak, bound)
				}
			})
		}
	}
}

// TestPipelineHangup: requests followed by the client's FIN are all
// answered, then the server closes gracefully.
func TestPipelineHangup(t *testing.T) {
	const size = 16 << 10
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			p := newPipeProbe(size, false)
			s := &Server{Handler: p, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine,
				WriteHighWater: 64 << 10}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Write(bytes.Repeat([]byte("g\n"), 500))
				c.(*net.TCPConn).CloseWrite()
			}()
			r := bufio.NewReader(c)
			readReplies(t, r, 0, 500, size)
			if b, err := r.ReadByte(); err != io.EOF {
				t.Fatalf("after the last reply: %q %v, want EOF", b, err)
			}
			wg.Wait()
			select {
			case err := <-p.closed:
				if err != nil {
					t.Fatalf("OnClose: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no OnClose")
			}
		})
	}
}

// TestPipelineOutboundLimit: a reply that would take the queue past
// MaxOutbound closes the connection with ErrOutboundLimit.
func TestPipelineOutboundLimit(t *testing.T) {
	p := newPipeProbe(2<<20, false)
	s := &Server{Handler: p, Loops: 1, WriteHighWater: 64 << 10, MaxOutbound: 1 << 20}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("g\n"))
	select {
	case err := <-p.closed:
		if !errors.Is(err, ErrOutboundLimit) {
			t.Fatalf("OnClose: %v, want ErrOutboundLimit", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no OnClose")
	}
}

// TestPipelineCloseAfter: a session's closeAfter sends its reply and closes.
func TestPipelineCloseAfter(t *testing.T) {
	p := newPipeProbe(100, false)
	s := &Server{Handler: p, Loops: 1}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("g\nquit\ng\n"))
	r := bufio.NewReader(c)
	readReplies(t, r, 0, 1, 100)
	rest, err := io.ReadAll(r)
	if err != nil || string(rest) != "bye\n" {
		t.Fatalf("after quit: %q %v, want bye and EOF", rest, err)
	}
}
