package http1_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/proto/http1"
)

// BenchmarkBridgeFastUnderSlow: one loop serves, off the loop, a fast
// endpoint and one that sleeps 200 ms. It measures the fast endpoint's
// latency alone, then while 50 clients call the slow one in a loop, and
// reports p50 and p99 of both phases and the p99 ratio (loaded/unloaded).
// Each iteration is one fast request per phase.
func BenchmarkBridgeFastUnderSlow(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
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
	measure := func() []time.Duration {
		lat := make([]time.Duration, 0, b.N)
		for range b.N {
			t0 := time.Now()
			get(fast, addr+"/fast")
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		return lat
	}
	pct := func(lat []time.Duration, p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	get(fast, addr+"/fast") // connect
	b.ResetTimer()
	idle := measure()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	slow := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 50}}
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", addr+"/slow", nil)
				if resp, err := slow.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // every slow client has a request in flight
	loaded := measure()
	b.StopTimer()
	cancel()
	wg.Wait()
	b.ReportMetric(pct(idle, 0.5), "p50-idle-ms")
	b.ReportMetric(pct(idle, 0.99), "p99-idle-ms")
	b.ReportMetric(pct(loaded, 0.5), "p50-loaded-ms")
	b.ReportMetric(pct(loaded, 0.99), "p99-loaded-ms")
	b.ReportMetric(pct(loaded, 0.99)/pct(idle, 0.99), "p99-ratio")
}
