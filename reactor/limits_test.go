package reactor

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
)

func TestInboundLimit(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			errc := make(chan error, 1)
			// The handler never consumes anything.
			h := &funcHandler{data: func(c *Conn) {}, close: func(c *Conn, err error) { errc <- err }}
			s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, MaxInbound: 100 << 10}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			go c.Write(make([]byte, 1<<20))
			select {
			case err := <-errc:
				if !errors.Is(err, ErrInboundLimit) {
					t.Fatalf("OnClose error %v, want ErrInboundLimit", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the connection was not closed at MaxInbound")
			}
		})
	}
}

// amplifier answers every byte with 16 and counts what it has read; it
// notes OnWritable.
type amplifier struct {
	read     atomic.Int64
	writable atomic.Int32
}

func (a *amplifier) OnOpen(c *Conn) {
	// A small send buffer: backpressure starts early.
	eventpoll.Host().SetBuffers(c.Fd(), 0, 32<<10)
}
func (a *amplifier) OnData(c *Conn) {
	p := c.Next(-1)
	a.read.Add(int64(len(p)))
	for i := 0; i < 16; i++ {
		c.Write(p)
	}
}
func (a *amplifier) OnClose(c *Conn, err error) {}
func (a *amplifier) OnWritable(c *Conn)         { a.writable.Add(1) }

func TestBackpressure(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			a := &amplifier{}
			const high = 256 << 10
			s := &Server{Handler: a, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine,
				WriteHighWater: high, WriteLowWater: high / 4, ReadBufferSize: 4 << 10}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.(*net.TCPConn).SetReadBuffer(64 << 10)
			const total = 1 << 20
			go func() {
				c.Write(make([]byte, total)) // blocks once the server stops reading
			}()
			// The client does not read: the server must stop reading once its
			// output passes the high water mark, so what it read stays bounded
			// by socket buffers, not by what the client sent.
			time.Sleep(150 * time.Millisecond)
			r1 := a.read.Load()
			time.Sleep(100 * time.Millisecond)
			r2 := a.read.Load()
			if r2 != r1 || r2 >= total {
				t.Fatalf("server kept reading while its output was stuck: %d then %d bytes", r1, r2)
			}
			if a.writable.Load() != 0 {
				t.Fatal("OnWritable before the output drained")
			}
			// Reading everything the amplifier sends lets it go on to the end.
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.CopyN(io.Discard, c, 16*total); err != nil {
				t.Fatalf("reading the amplified stream: %v (server read %d)", err, a.read.Load())
			}
			if a.read.Load() != total {
				t.Fatalf("server read %d, want %d", a.read.Load(), total)
			}
			if a.writable.Load() == 0 {
				t.Fatal("OnWritable never called")
			}
		})
	}
}

// TestFloodFairness checks that a peer flooding one loop does not starve
// another connection of the same loop (the read budget).
func TestFloodFairness(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			h := &funcHandler{data: func(c *Conn) {
				if c.Buffered() > 0 && c.Peek(1)[0] == 'p' {
					c.Write(c.Next(-1))
					return
				}
				c.Discard(-1)
			}}
			s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			stop := make(chan struct{})
			defer close(stop)
			for i := 0; i < 2; i++ {
				f, err := net.Dial("tcp", addr.String())
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				go func() {
					junk := make([]byte, 256<<10)
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := f.Write(junk); err != nil {
							return
						}
					}
				}()
			}
			time.Sleep(50 * time.Millisecond)
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var worst time.Duration
			buf := make([]byte, 4)
			for i := 0; i < 30; i++ {
				start := time.Now()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Write([]byte("ping")); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					t.Fatalf("ping %d starved: %v", i, err)
				}
				worst = max(worst, time.Since(start))
			}
			t.Logf("worst round trip beside two flooders: %v", worst)
			if worst > time.Second {
				t.Fatalf("worst round trip %v beside flooders", worst)
			}
		})
	}
}
