package http1_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/internal/enginetest"
	"github.com/eventpoll/eventpoll/proto/http1"
	"github.com/eventpoll/eventpoll/reactor"
)

// outProbe wraps a ServerHandler and records the most output a connection
// had queued when a callback returned.
type outProbe struct {
	*http1.ServerHandler
	peak atomic.Int64
}

func (p *outProbe) note(c *reactor.Conn) {
	if n := int64(c.OutboundBuffered()); n > p.peak.Load() {
		p.peak.Store(n)
	}
}
func (p *outProbe) OnData(c *reactor.Conn)     { p.ServerHandler.OnData(c); p.note(c) }
func (p *outProbe) OnWritable(c *reactor.Conn) { p.ServerHandler.OnWritable(c); p.note(c) }

// heapPeak samples the bytes of heap objects until stop is called and
// returns the largest value seen.
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

// TestResponseAmplification pipelines N requests for a 1 MB response in one
// write and never reads: requests beyond the high-water mark wait, so the
// queued output and the heap stay bounded whatever N is.
func TestResponseAmplification(t *testing.T) {
	const size = 1 << 20
	big := []byte(strings.Repeat("b", size))
	h := http1.HandlerFunc(func(w *http1.ResponseWriter, r *http1.Request) { w.Write(big) })
	for _, n := range []int{10, 1000, 100000} {
		t.Run(fmt.Sprint("N=", n), func(t *testing.T) {
			sh := http1.NewHandler(http1.Config{Handler: h})
			p := &outProbe{ServerHandler: sh}
			s := &reactor.Server{Handler: p, Loops: 1, Engine: enginetest.Engine(), MaxInbound: sh.InboundLimit()}
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

			runtime.GC()
			base := heapPeak()()
			stop := heapPeak()
			go c.Write([]byte(strings.Repeat("GET /big HTTP/1.1\r\nHost: x\r\n\r\n", n)))
			last, since := p.peak.Load(), time.Now()
			for time.Since(since) < 500*time.Millisecond {
				time.Sleep(20 * time.Millisecond)
				if v := p.peak.Load(); v != last {
					last, since = v, time.Now()
				}
			}
			peakHeap := stop()
			bound := int64(reactor.DefaultWriteHighWater + size + 64<<10 + 256)
			if peak := p.peak.Load(); peak > bound {
				t.Errorf("queued output peaked at %d bytes; bound %d", peak, bound)
			}
			if grown := int64(peakHeap) - int64(base); grown > 4*bound {
				t.Errorf("heap grew by %d MB at its peak; bound %d MB", grown>>20, 4*bound>>20)
			}
			r := bufio.NewReader(c)
			for i := 0; i < min(n, 20); i++ {
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					t.Fatalf("response %d: %v", i, err)
				}
				got, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || got != size || resp.StatusCode != 200 {
					t.Fatalf("response %d: status %d, %d bytes, %v", i, resp.StatusCode, got, err)
				}
			}
			t.Logf("N=%d: queued peak %d KiB, heap peak +%d MiB", n, p.peak.Load()>>10, (int64(peakHeap)-int64(base))>>20)
		})
	}
}
