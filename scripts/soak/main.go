// Command soak churns connections against a running `eventpoll serve` for a
// bounded time and watches the server for leaks: every interval it samples
// the server's descriptors (/proc/PID/fd), threads and RSS (/proc/PID/status)
// and its goroutines and heap (serve --debug-addr, expvar). It fails when a
// reply is wrong, when sessions fail, when a sampled figure keeps growing
// over the second half of the run (least-squares trend above a threshold),
// or when descriptors or goroutines stay above their starting values once
// the load has stopped. scripts/soak.sh runs it for each protocol.
//
// Sessions, chosen at random per connection: normal (pipelined requests,
// every reply checked), half-close (send, shut down writing, read the
// replies to the end), reset (send part, close with RST), idle (open, wait
// seconds, close), slow reader (a large reply read a kilobyte at a time,
// then reset), open-close, and garbage (bytes that are not the protocol).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type config struct {
	proto, addr, debug string
	pid                int
	duration, interval time.Duration
	workers            int
	rate               int
}

func main() {
	var c config
	flag.StringVar(&c.proto, "proto", "echo", "echo, resp or http")
	flag.StringVar(&c.addr, "addr", "127.0.0.1:7000", "server address")
	flag.StringVar(&c.debug, "debug", "", "the server's --debug-addr (goroutines, heap)")
	flag.IntVar(&c.pid, "pid", 0, "the server's process id (descriptors, threads, RSS from /proc)")
	flag.DurationVar(&c.duration, "duration", 10*time.Minute, "how long to churn")
	flag.DurationVar(&c.interval, "interval", 10*time.Second, "sampling interval")
	flag.IntVar(&c.workers, "workers", 32, "concurrent client sessions")
	flag.IntVar(&c.rate, "rate", 200, "most new connections per second")
	flag.Parse()
	if c.pid <= 0 {
		fmt.Fprintln(os.Stderr, "soak: -pid is required")
		os.Exit(2)
	}
	switch c.proto {
	case "echo", "resp", "http":
	default:
		fmt.Fprintf(os.Stderr, "soak: unknown -proto %q (want echo, resp or http)\n", c.proto)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintf(os.Stderr, "soak %s: FAIL: %v\n", c.proto, err)
		os.Exit(1)
	}
	fmt.Printf("soak %s: PASS\n", c.proto)
}

// counters are the session outcomes.
type counters struct {
	sessions, failed, mismatch atomic.Int64
	byKind                     [numKinds]atomic.Int64
	firstErr                   atomic.Value // string
}

func (n *counters) fail(kind int, err error) {
	n.failed.Add(1)
	n.firstErr.CompareAndSwap(nil, fmt.Sprintf("%s: %v", kindNames[kind], err))
}

const (
	kindNormal = iota
	kindHalfClose
	kindReset
	kindIdle
	kindSlow
	kindOpenClose
	kindGarbage
	numKinds
)

var kindNames = [numKinds]string{"normal", "half-close", "reset", "idle", "slow-reader", "open-close", "garbage"}

// kindWeights: how often each session kind is chosen (out of 100).
var kindWeights = [numKinds]int{35, 15, 15, 8, 7, 10, 10}

func pickKind(rng *rand.Rand) int {
	x := rng.Intn(100)
	for k, w := range kindWeights {
		if x < w {
			return k
		}
		x -= w
	}
	return kindNormal
}

func run(c config) error {
	base, err := sample(c)
	if err != nil {
		return fmt.Errorf("first sample: %w", err)
	}
	fmt.Printf("soak %s: %s for %v, %d workers, at most %d connections/s\n", c.proto, c.addr, c.duration, c.workers, c.rate)
	fmt.Println(base.line(0, nil))

	end := time.Now().Add(c.duration)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	// over reports whether the run has ended. A dial or read that fails
	// because the run's deadline passed can return before ctx.Err() is set:
	// such failures are the end of the run, not the server's.
	over := func() bool { return ctx.Err() != nil || !time.Now().Before(end) }
	var n counters
	tokens := make(chan struct{}, c.rate)
	go func() {
		t := time.NewTicker(time.Second / time.Duration(c.rate))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				select {
				case tokens <- struct{}{}:
				default:
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range c.workers {
		wg.Go(func() {
			rng := rand.New(rand.NewSource(int64(w)*7919 + time.Now().UnixNano()))
			for {
				select {
				case <-ctx.Done():
					return
				case <-tokens:
				}
				if over() {
					return
				}
				kind := pickKind(rng)
				n.sessions.Add(1)
				n.byKind[kind].Add(1)
				if err := session(ctx, c, kind, w, rng); err != nil {
					if errors.Is(err, errMismatch) {
						n.mismatch.Add(1)
					}
					if !over() {
						n.fail(kind, err)
					}
				}
			}
		})
	}

	var samples []stat
	missed := 0
	start := time.Now()
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			s, err := sample(c)
			if err != nil {
				// A busy host can stall a sample; a server that is gone
				// fails every one.
				missed++
				fmt.Printf("t=%-5s sample failed: %v\n", time.Since(start).Round(time.Second), err)
				if missed > 3 && missed > len(samples) {
					cancel()
					wg.Wait()
					return fmt.Errorf("%d samples failed (last: %w)", missed, err)
				}
				continue
			}
			s.at = time.Since(start)
			samples = append(samples, s)
			fmt.Println(s.line(s.at, &n))
		}
	}
	wg.Wait()

	// Settle: every client connection is closed; the server's descriptors
	// and goroutines must return to where they started.
	var final stat
	deadline := time.Now().Add(30 * time.Second)
	for {
		final, err = sample(c)
		if err != nil {
			return fmt.Errorf("final sample: %w", err)
		}
		if final.fds <= base.fds && final.goroutines <= base.goroutines || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	fmt.Printf("after the load: %s\n", final.line(time.Since(start), nil))
	var b strings.Builder
	for k := range numKinds {
		fmt.Fprintf(&b, " %s=%d", kindNames[k], n.byKind[k].Load())
	}
	fmt.Printf("sessions %d (%s), failed %d, wrong replies %d\n", n.sessions.Load(), strings.TrimSpace(b.String()), n.failed.Load(), n.mismatch.Load())

	var problems []string
	if m := n.mismatch.Load(); m > 0 {
		problems = append(problems, fmt.Sprintf("%d wrong replies", m))
	}
	if f, s := n.failed.Load(), n.sessions.Load(); f > 0 && f*1000 > s {
		problems = append(problems, fmt.Sprintf("%d of %d sessions failed (first: %v)", f, s, n.firstErr.Load()))
	} else if f > 0 {
		fmt.Printf("note: %d sessions failed (first: %v)\n", f, n.firstErr.Load())
	}
	if final.fds > base.fds {
		problems = append(problems, fmt.Sprintf("descriptors %d after the load, %d before", final.fds, base.fds))
	}
	if final.goroutines > base.goroutines {
		problems = append(problems, fmt.Sprintf("goroutines %d after the load, %d before", final.goroutines, base.goroutines))
	}
	problems = append(problems, trends(samples)...)
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// stat is one sample of the server.
type stat struct {
	at         time.Duration
	fds        int
	threads    int
	rssKB      int
	goroutines int
	heapInuse  uint64
	liveHeap   uint64 // NextGC/2: the heap marked live at the last GC (GOGC=100)
}

func (s stat) line(at time.Duration, n *counters) string {
	l := fmt.Sprintf("t=%-5s fds=%d threads=%d rss=%.1fMiB goroutines=%d heap=%.1fMiB live=%.1fMiB",
		at.Round(time.Second), s.fds, s.threads, float64(s.rssKB)/1024, s.goroutines, float64(s.heapInuse)/(1<<20), float64(s.liveHeap)/(1<<20))
	if n != nil {
		l += fmt.Sprintf(" sessions=%d failed=%d", n.sessions.Load(), n.failed.Load())
	}
	return l
}

var debugClient = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func sample(c config) (stat, error) {
	var s stat
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", c.pid))
	if err != nil {
		return s, err
	}
	s.fds = len(ents)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			s.rssKB, _ = strconv.Atoi(f[1])
		case "Threads:":
			s.threads, _ = strconv.Atoi(f[1])
		}
	}
	if c.debug != "" {
		resp, err := debugClient.Get("http://" + c.debug + "/debug/vars")
		if err != nil {
			return s, err
		}
		defer resp.Body.Close()
		var vars struct {
			Goroutines int `json:"goroutines"`
			Memstats   struct{ HeapInuse, NextGC uint64 }
		}
		if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
			return s, err
		}
		s.goroutines, s.heapInuse, s.liveHeap = vars.Goroutines, vars.Memstats.HeapInuse, vars.Memstats.NextGC/2
	}
	return s, nil
}

// trends fits a least-squares line to each figure over the second half of
// the samples and reports those whose projected growth over that half
// passes its threshold: an absolute floor (the noise of connections open
// at the instant of a sample) or, for memory, a fraction of the mean.
func trends(samples []stat) []string {
	if len(samples) < 6 {
		fmt.Printf("note: %d samples, too few for a trend\n", len(samples))
		return nil
	}
	half := samples[len(samples)/2:]
	span := (half[len(half)-1].at - half[0].at).Seconds()
	var out []string
	check := func(name string, get func(stat) float64, floor, frac float64, unit string) {
		var sx, sy, sxx, sxy float64
		for _, s := range half {
			x, y := s.at.Seconds(), get(s)
			sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
		}
		k := float64(len(half))
		slope := (k*sxy - sx*sy) / (k*sxx - sx*sx)
		mean := sy / k
		growth := slope * span
		limit := max(floor, frac*mean)
		fmt.Printf("trend %-10s second half: mean %.1f%s, growth %+.1f%s (limit %.1f%s)\n", name, mean, unit, growth, unit, limit, unit)
		if growth > limit {
			out = append(out, fmt.Sprintf("%s keeps growing: %+.1f%s over the second half (limit %.1f%s)", name, growth, unit, limit, unit))
		}
	}
	check("fds", func(s stat) float64 { return float64(s.fds) }, 64, 0, "")
	check("threads", func(s stat) float64 { return float64(s.threads) }, 8, 0, "")
	check("rss", func(s stat) float64 { return float64(s.rssKB) / 1024 }, 32, 0.25, "MiB")
	if half[0].goroutines > 0 {
		check("goroutines", func(s stat) float64 { return float64(s.goroutines) }, 16, 0, "")
		check("live-heap", func(s stat) float64 { return float64(s.liveHeap) / (1 << 20) }, 32, 0.25, "MiB")
	}
	return out
}

var errMismatch = errors.New("wrong reply")

// session runs one connection of the given kind.
func session(ctx context.Context, c config, kind, worker int, rng *rand.Rand) error {
	// Generous timeouts: a loaded host stalls processes for seconds; a
	// server that stops accepting or answering still fails the session.
	d := net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	tc := conn.(*net.TCPConn)
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(60 * time.Second))
	switch kind {
	case kindNormal:
		for range 1 + rng.Intn(4) {
			req, check := request(c.proto, worker, rng)
			if _, err := tc.Write(req); err != nil {
				return err
			}
			if err := check(tc); err != nil {
				return err
			}
		}
		return nil
	case kindHalfClose:
		req, check := request(c.proto, worker, rng)
		if _, err := tc.Write(req); err != nil {
			return err
		}
		if err := tc.CloseWrite(); err != nil {
			return err
		}
		if err := check(tc); err != nil {
			return err
		}
		// Then the server's FIN.
		if n, err := tc.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			return fmt.Errorf("after the replies: %d bytes, %v (want end of file)", n, err)
		}
		return nil
	case kindReset:
		req, _ := request(c.proto, worker, rng)
		tc.Write(req[:rng.Intn(len(req)+1)])
		if rng.Intn(2) == 0 {
			tc.SetReadDeadline(time.Now().Add(time.Duration(rng.Intn(20)) * time.Millisecond))
			tc.Read(make([]byte, 1024))
		}
		tc.SetLinger(0)
		return nil
	case kindIdle:
		if rng.Intn(2) == 0 {
			req, _ := request(c.proto, worker, rng)
			tc.Write(req[:rng.Intn(len(req))]) // an incomplete request, then silence
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(1000+rng.Intn(7000)) * time.Millisecond):
		}
		return nil
	case kindSlow:
		return slowReader(ctx, tc, c.proto, worker, rng)
	case kindOpenClose:
		if rng.Intn(2) == 0 {
			tc.SetLinger(0)
		}
		return nil
	case kindGarbage:
		junk := make([]byte, 1+rng.Intn(2048))
		rng.Read(junk)
		if c.proto == "resp" {
			junk[0] = '*' // a malformed multibulk rather than an inline command
		}
		tc.Write(junk)
		if c.proto == "echo" {
			got := make([]byte, len(junk))
			if _, err := io.ReadFull(tc, got); err != nil {
				return err
			}
			if !bytes.Equal(got, junk) {
				return errMismatch
			}
			return nil
		}
		// The server answers with an error and closes, or waits for more.
		tc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		io.Copy(io.Discard, tc)
		return nil
	}
	return nil
}

// slowReader asks for a large reply and reads it a kilobyte at a time,
// then resets the connection before the end.
func slowReader(ctx context.Context, tc *net.TCPConn, proto string, worker int, rng *rand.Rand) error {
	var req []byte
	switch proto {
	case "echo":
		req = make([]byte, 4<<20)
		rng.Read(req)
	case "resp":
		key := fmt.Sprintf("soak:big:%d", worker)
		// 1 MiB of replies: a slow reader, not an amplification test.
		req = respCmd(nil, "SET", key, strings.Repeat("v", 64<<10))
		for range 16 {
			req = respCmd(req, "GET", key)
		}
	case "http":
		for range 8000 {
			req = append(req, "GET /plaintext HTTP/1.1\r\nHost: soak\r\n\r\n"...)
		}
	}
	go func() {
		// The writer stops when the connection is reset or times out.
		tc.Write(req)
	}()
	buf := make([]byte, 1024)
	stop := time.Now().Add(time.Duration(500+rng.Intn(2500)) * time.Millisecond)
	for time.Now().Before(stop) && ctx.Err() == nil {
		if _, err := tc.Read(buf); err != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	tc.SetLinger(0)
	return nil
}

// request returns a request of proto and a function that reads and checks
// its whole reply.
func request(proto string, worker int, rng *rand.Rand) ([]byte, func(io.Reader) error) {
	switch proto {
	case "resp":
		var req, want []byte
		for j := range 1 + rng.Intn(40) {
			// A bounded key space per worker: the store does not grow.
			key := fmt.Sprintf("soak:%d:%d", worker, rng.Intn(64))
			switch rng.Intn(3) {
			case 0:
				v := randText(rng, rng.Intn(2000))
				req = respCmd(req, "SET", key, v)
				want = append(want, "+OK\r\n"...)
				req = respCmd(req, "GET", key)
				want = respBulk(want, v)
			case 1:
				v := randText(rng, rng.Intn(200))
				req = respCmd(req, "ECHO", v)
				want = respBulk(want, v)
			case 2:
				req = respCmd(req, "PING", strconv.Itoa(j))
				want = respBulk(want, strconv.Itoa(j))
			}
		}
		return req, exact(want)
	case "http":
		var req []byte
		paths := make([]string, 1+rng.Intn(16))
		for i := range paths {
			paths[i] = [...]string{"/", "/plaintext", "/json", "/missing"}[rng.Intn(4)]
			req = append(req, "GET "+paths[i]+" HTTP/1.1\r\nHost: soak\r\n\r\n"...)
		}
		return req, func(r io.Reader) error {
			br := bufio.NewReader(r)
			for _, p := range paths {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					return err
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return err
				}
				want := map[string]string{"/": "Hello, World!", "/plaintext": "Hello, World!", "/json": `{"message":"Hello, World!"}`, "/missing": "404 page not found\n"}[p]
				if string(body) != want {
					return fmt.Errorf("%w: GET %s: %q", errMismatch, p, body)
				}
			}
			if br.Buffered() > 0 {
				return fmt.Errorf("%w: %d bytes after the last response", errMismatch, br.Buffered())
			}
			return nil
		}
	default:
		b := make([]byte, 1+rng.Intn(64<<10))
		rng.Read(b)
		return b, exact(b)
	}
}

// exact reads len(want) bytes and compares them.
func exact(want []byte) func(io.Reader) error {
	return func(r io.Reader) error {
		got := make([]byte, len(want))
		if _, err := io.ReadFull(r, got); err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return errMismatch
		}
		return nil
	}
}

func respCmd(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = respBulk(b, a)
	}
	return b
}

func respBulk(b []byte, s string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, "\r\n"...)
	b = append(b, s...)
	return append(b, "\r\n"...)
}

func randText(rng *rand.Rand, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rng.Intn(len(letters))]
	}
	return string(b)
}
