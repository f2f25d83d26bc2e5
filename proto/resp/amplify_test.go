package resp_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/internal/enginetest"
	"github.com/eventpoll/eventpoll/proto/resp"
	"github.com/eventpoll/eventpoll/reactor"
)

// outProbe wraps a Handler and records the most output a connection had
// queued when a callback returned.
type outProbe struct {
	*resp.Handler
	peak atomic.Int64
}

func (p *outProbe) note(c *reactor.Conn) {
	if n := int64(c.OutboundBuffered()); n > p.peak.Load() {
		p.peak.Store(n)
	}
}
func (p *outProbe) OnData(c *reactor.Conn)     { p.Handler.OnData(c); p.note(c) }
func (p *outProbe) OnWritable(c *reactor.Conn) { p.Handler.OnWritable(c); p.note(c) }

// heapPeak samples the bytes of live and unswept heap objects until stop is
// called, and returns the largest value seen.
func heapPeak() (stop func() uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// TestReplyAmplification is issue 10 item 1: SET a 1 MB value, then GET it
// N times in one write and never read. The commands beyond the high-water
// mark must wait, so the connection's queued output and the heap stay
// bounded by the limits whatever N is (before the fix the handler built
// every reply first: N = 1000 meant a 1 GB reply buffer).
func TestReplyAmplification(t *testing.T) {
	const value = 1 << 20
	for _, n := range []int{10, 1000, 100000} {
		t.Run(fmt.Sprint("N=", n), func(t *testing.T) {
			h := resp.NewHandler(resp.Config{Limits: resp.Limits{MaxBulkLen: 64 << 20, MaxQueryBuffer: 64 << 20}})
			defer h.Close()
			p := &outProbe{Handler: h}
			s := &reactor.Server{Handler: p, Loops: 1, Engine: enginetest.Engine(), MaxInbound: h.InboundLimit()}
			ln, err := s.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go s.ServeListener(context.Background(), ln)
			defer s.Close()

			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			fmt.Fprintf(c, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n", value, strings.Repeat("v", value))
			if line, err := r.ReadString('\n'); line != "+OK\r\n" {
				t.Fatalf("SET: %q %v", line, err)
			}
			runtime.GC()
			base := heapPeak()()
			stop := heapPeak()
			go c.Write([]byte(strings.Repeat("GET big\r\n", n)))
			// Wait until the server stops making progress (it waits for us).
			last, since := p.peak.Load(), time.Now()
			for time.Since(since) < 500*time.Millisecond {
				time.Sleep(20 * time.Millisecond)
				if v := p.peak.Load(); v != last {
					last, since = v, time.Now()
				}
			}
			peakHeap := stop()
			bound := int64(reactor.DefaultWriteHighWater + value + 64<<10 + 64)
			if peak := p.peak.Load(); peak > bound {
				t.Errorf("queued output peaked at %d bytes; bound %d", peak, bound)
			}
			// The heap holds the queued output, one reply being built and
			// the pooled buffers behind them: a few times the bound at most.
			if grown := int64(peakHeap) - int64(base); grown > 4*bound {
				t.Errorf("heap grew by %d MB at its peak; bound %d MB", grown>>20, 4*bound>>20)
			}
			// Every reply arrives, in order, once the client reads (the
			// first 20 for large N).
			want := min(n, 20)
			body := make([]byte, value+2)
			for i := 0; i < want; i++ {
				line, err := r.ReadString('\n')
				if err != nil || line != fmt.Sprintf("$%d\r\n", value) {
					t.Fatalf("reply %d: %q %v", i, line, err)
				}
				if _, err := io.ReadFull(r, body); err != nil {
					t.Fatalf("reply %d: %v", i, err)
				}
			}
			t.Logf("N=%d: queued peak %d KiB, heap peak +%d MiB", n, p.peak.Load()>>10, (int64(peakHeap)-int64(base))>>20)
		})
	}
}
