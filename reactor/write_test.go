package reactor

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// mixedWriter answers each byte it reads with a response of small and
// large Writes in one callback: the first (1 MiB, on a connection with
// nothing queued) is written directly and cut short by the small send
// buffer, the rest queue behind its remainder.
type mixedWriter struct{ echoHandler }

// OnOpen shrinks the socket's send buffer, so that large writes are cut
// short.
func (h *mixedWriter) OnOpen(c *Conn) { c.l.k.SetBuffers(c.fd, 0, 128<<10) }

// mixedResponse is what mixedWriter writes for one request byte b, in the
// pieces it writes them.
func mixedResponse(b byte) [][]byte {
	sizes := []int{1 << 20, 10, 3, 4 << 10, 64 << 10, 1}
	out := make([][]byte, len(sizes))
	for i, n := range sizes {
		p := make([]byte, n)
		for j := range p {
			p[j] = b + byte(i) + byte(j*7)
		}
		out[i] = p
	}
	return out
}

func (h *mixedWriter) OnData(c *Conn) {
	for _, b := range c.Next(-1) {
		for _, p := range mixedResponse(b) {
			if n, err := c.Write(p); n != len(p) || err != nil {
				c.Abort()
				return
			}
		}
	}
}

// TestWriteOrderDirectAndQueued: responses arrive whole and in order while
// the peer reads slowly (so direct writes are cut short and the rest is
// queued behind them).
func TestWriteOrderDirectAndQueued(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			s := &Server{Handler: &mixedWriter{}, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			var want bytes.Buffer
			reqs := []byte("abcdefgh")
			for _, b := range reqs {
				for _, p := range mixedResponse(b) {
					want.Write(p)
				}
			}
			if _, err := c.Write(reqs[:3]); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, want.Len())
			// Read slowly at first so the server's socket fills up.
			if _, err := io.ReadFull(c, got[:1000]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			if _, err := c.Write(reqs[3:]); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, got[1000:]); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				i := 0
				for i < len(got) && got[i] == want.Bytes()[i] {
					i++
				}
				t.Fatalf("response differs at byte %d of %d", i, len(got))
			}
		})
	}
}

// resetWriter writes a large response from a timer, after the peer has
// reset the connection: the direct write fails and OnClose gets its error.
type resetWriter struct {
	echoHandler
	werr chan error
	cerr chan error
}

func (h *resetWriter) OnData(c *Conn) {
	c.Discard(-1)
	c.Loop().AfterFunc(100*time.Millisecond, func() {
		_, err := c.Write(make([]byte, 256<<10))
		h.werr <- err
	})
}

func (h *resetWriter) OnClose(c *Conn, err error) { h.cerr <- err }

func TestDirectWriteAfterReset(t *testing.T) {
	h := &resetWriter{werr: make(chan error, 1), cerr: make(chan error, 1)}
	s := &Server{Handler: h, Loops: 1, Trigger: Level}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("x"))
	time.Sleep(20 * time.Millisecond)
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	var werr, cerr error
	select {
	case cerr = <-h.cerr:
	case <-time.After(10 * time.Second):
		t.Fatal("no OnClose")
	}
	select {
	case werr = <-h.werr:
	case <-time.After(10 * time.Second):
		t.Fatal("timer did not run")
	}
	// Either the loop saw the reset first (Write: ErrConnClosed) or the
	// direct write did (Write returns the socket's error); never success.
	if werr == nil {
		t.Fatalf("Write after reset succeeded (OnClose: %v)", cerr)
	}
	if !errors.Is(werr, ErrConnClosed) && !errors.Is(cerr, werr) && cerr == nil {
		t.Fatalf("Write: %v, OnClose: %v", werr, cerr)
	}
}
