package http1_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/proto/http1"
)

// BenchmarkBridgeFastUnderSlow: one loop serves, off the loop, a fast
// endpoint and one that sleeps 200 ms. The fast endpoint's latency is
// measured in alternating blocks: alone (no slow request in flight), then
// while 50 clients each keep a slow request in flight, and so on, so that
// the machine's slow drifts hit both phases alike. It reports p50 and p99 of
// both phases and the p99 ratio (loaded/unloaded). Each iteration is one
// fast request in each phase.
func BenchmarkBridgeFastUnderSlow(b *testing.B) {
	const slowClients, block = 50, 2000 // a block lasts longer than one slow request
	var inflight atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		inflight.Add(1)
		defer inflight.Add(-1)
		time.Sleep(200 * time.Millisecond)
		io.WriteString(w, "slow")
	})
	addr := "http://" + startBridge(b, http1.FromHTTPHandler(mux))
	fast := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	get := func(c *http.Client, url string) {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	var idle, loaded []time.Duration
	measure := func(lat *[]time.Duration, n int) {
		for range n {
			t0 := time.Now()
			get(fast, addr+"/fast")
			*lat = append(*lat, time.Since(t0))
		}
	}
	until := func(cond func() bool) {
		for !cond() {
			time.Sleep(time.Millisecond)
		}
	}
	pct := func(lat []time.Duration, p float64) float64 {
		slices.Sort(lat)
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}

	// The slow clients run while load is set and finish their request
	// and wait while it is not.
	ctx, cancel := context.WithCancel(context.Background())
	var load atomic.Bool
	var wg sync.WaitGroup
	slow := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: slowClients}}
	for range slowClients {
		wg.Go(func() {
			for ctx.Err() == nil {
				if !load.Load() {
					time.Sleep(time.Millisecond)
					continue
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", addr+"/slow", nil)
				if resp, err := slow.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	get(fast, addr+"/fast") // connect
	b.ResetTimer()
	for left := b.N; left > 0; left -= block {
		n := min(block, left)
		load.Store(false)
		until(func() bool { return inflight.Load() == 0 })
		measure(&idle, n)
		load.Store(true)
		until(func() bool { return inflight.Load() == slowClients })
		measure(&loaded, n)
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	b.ReportMetric(pct(idle, 0.5), "p50-idle-ms")
	b.ReportMetric(pct(idle, 0.99), "p99-idle-ms")
	b.ReportMetric(pct(loaded, 0.5), "p50-loaded-ms")
	b.ReportMetric(pct(loaded, 0.99), "p99-loaded-ms")
	b.ReportMetric(pct(loaded, 0.99)/pct(idle, 0.99), "p99-ratio")
}
