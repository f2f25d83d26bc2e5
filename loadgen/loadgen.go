// Package loadgen is a pipelined load generator for request/reply servers
// (echo, line, RESP, HTTP/1.1). Each connection keeps up to Depth requests
// in flight, verifies every reply (byte for byte against the one expected;
// for HTTP, status 200 and Content-Length framing), and records the latency
// of each message in an HDR histogram.
//
// Two engines drive the connections: "eventpoll" (the default) runs a few
// event loops on this project's Poller with non-blocking sockets; "net"
// uses Go's net package with two goroutines per connection and supports an
// open-loop rate. Either has a ceiling of its own: measure it against a
// trivial server before reading a server's figures from it.
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Config describes one load run. Zero values mean the documented defaults.
type Config struct {
	// Network is "tcp" (default) or "unix"; Addr the server's address.
	Network, Addr string
	// Conns is the number of connections (default 1).
	Conns int
	// Depth is the number of requests in flight per connection (default 1).
	Depth int
	// Size is the payload size in bytes (default 64).
	Size int
	// Proto is "echo" (default), "line", "resp" or "http".
	Proto string
	// Duration bounds the run in time; Requests in total messages (split
	// evenly over the connections). With neither, Duration is 5 s.
	Duration time.Duration
	Requests int64
	// Rate, if > 0, is the total open-loop request rate in messages/s,
	// spread evenly over the connections. Latency is then measured from
	// each message's intended send time, so queueing delay is not hidden.
	Rate float64
	// DialTimeout bounds each connect (default 5 s); DialParallel is how
	// many connects run at once (default 64).
	DialTimeout  time.Duration
	DialParallel int
	// Drain bounds the wait for in-flight replies after sending stops
	// (default 5 s); replies still missing then count as errors. A run in
	// which no reply at all arrives for Drain stops sending, as if its
	// duration had ended.
	Drain time.Duration
	// Engine is "eventpoll" (a few event loops on this project's Poller;
	// several times less client CPU per message; no Rate) or "net" (Go's
	// net package, two goroutines per connection). "" means eventpoll, or
	// net when Rate is set.
	Engine string
	// Backend is the eventpoll engine's poller backend ("" is
	// eventpoll.DefaultBackend: epoll on Linux, kqueue on darwin and FreeBSD);
	// Workers its number of event loops (default GOMAXPROCS).
	Backend string
	Workers int
	// Progress, if set, is called about once a second with the totals so far.
	Progress func(Snapshot)
	// TLS, when not nil, runs every connection over crypto/tls with this
	// client configuration (net engine only, which "" then means).
	TLS *tls.Config
}

// Snapshot is the state of a run in progress.
type Snapshot struct {
	Elapsed time.Duration
	Msgs    int64
	Bytes   int64
	Errors  int64
}

// Latency holds latency percentiles in microseconds.
type Latency struct {
	P50  float64 `json:"p50_us"`
	P90  float64 `json:"p90_us"`
	P99  float64 `json:"p99_us"`
	P999 float64 `json:"p999_us"`
	Max  float64 `json:"max_us"`
	Mean float64 `json:"mean_us"`
}

// Result is the outcome of a run.
type Result struct {
	Addr    string  `json:"addr"`
	Proto   string  `json:"proto"`
	Engine  string  `json:"engine"`
	Conns   int     `json:"conns"`
	Depth   int     `json:"depth"`
	Size    int     `json:"size"`
	Rate    float64 `json:"rate,omitempty"`
	Seconds float64 `json:"seconds"`
	// Msgs is the number of verified replies; Bytes their request and reply
	// bytes together.
	Msgs       int64   `json:"msgs"`
	Bytes      int64   `json:"bytes"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"`
	Latency    Latency `json:"latency"`
	// Errors counts failed dials, connections that broke, replies that did
	// not match, and replies still missing at the end.
	Errors int64 `json:"errors"`
	// ErrorSamples holds the first few error messages.
	ErrorSamples []string `json:"error_samples,omitempty"`
}

const (
	histShards   = 16
	latencyBatch = 128
)

type run struct {
	reporting sync.WaitGroup // the progress reporter; Run waits for it
	cfg       Config
	proto     *proto
	start     time.Time
	stop      atomic.Bool   // sending stops
	stopCh    chan struct{} // closed when sending stops
	stopOnce  sync.Once

	shards [histShards]struct {
		sync.Mutex
		h *hdrhistogram.Histogram
	}
	msgs   atomic.Int64
	bytes  atomic.Int64
	errors atomic.Int64

	errMu      sync.Mutex
	errSamples []string
}

func (r *run) halt() {
	r.stopOnce.Do(func() {
		r.stop.Store(true)
		close(r.stopCh)
	})
}

func (r *run) fail(err error) {
	r.errors.Add(1)
	r.errMu.Lock()
	if len(r.errSamples) < 5 {
		r.errSamples = append(r.errSamples, err.Error())
	}
	r.errMu.Unlock()
}

// Run drives the server at cfg.Addr and returns what it measured. It returns
// an error only when the run could not take place at all (bad config, no
// connection); per-connection failures are counted in Result.Errors.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Network == "" {
		cfg.Network = "tcp"
	}
	cfg.Conns = max(cfg.Conns, 1)
	cfg.Depth = max(cfg.Depth, 1)
	if cfg.Size <= 0 {
		cfg.Size = 64
	}
	if cfg.Proto == "" {
		cfg.Proto = "echo"
	}
	if cfg.Duration <= 0 && cfg.Requests <= 0 {
		cfg.Duration = 5 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.DialParallel <= 0 {
		cfg.DialParallel = 64
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 5 * time.Second
	}
	if cfg.Engine == "" {
		cfg.Engine = "eventpoll"
		if cfg.Rate > 0 || cfg.TLS != nil {
			cfg.Engine = "net"
		}
	}
	switch cfg.Engine {
	case "net":
	case "eventpoll":
		if cfg.Rate > 0 {
			return nil, errors.New("the eventpoll engine has no open-loop rate; use the net engine")
		}
		if cfg.TLS != nil {
			return nil, errors.New("the eventpoll engine has no TLS; use the net engine")
		}
	default:
		return nil, fmt.Errorf("unknown engine %q (want net or eventpoll)", cfg.Engine)
	}
	p, err := newProto(cfg.Proto, cfg.Size, 1)
	if err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, proto: p, stopCh: make(chan struct{})}
	for i := range r.shards {
		r.shards[i].h = hdrhistogram.New(1, int64(time.Minute), 3)
	}
	if cfg.Engine == "eventpoll" {
		return r.runEventpoll(ctx)
	}

	conns, err := r.dialAll(ctx)
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.start = time.Now()
	if cfg.Duration > 0 {
		t := time.AfterFunc(cfg.Duration, r.halt)
		defer t.Stop()
	}
	go func() {
		<-ctx.Done()
		r.halt()
	}()
	if cfg.Progress != nil {
		r.reporting.Go(func() { r.report(ctx) })
	}
	go r.watchdog(ctx)
	var wg sync.WaitGroup
	for i, c := range conns {
		quota := int64(-1)
		if cfg.Requests > 0 {
			quota = cfg.Requests / int64(len(conns))
			if int64(i) < cfg.Requests%int64(len(conns)) {
				quota++
			}
		}
		wg.Go(func() { r.conn(c, i, quota) })
	}
	wg.Wait()
	elapsed := time.Since(r.start)
	cancel()
	r.reporting.Wait() // no Progress call after Run returns
	return r.result(elapsed), nil
}

// runEventpoll is Run for the eventpoll engine.
func (r *run) runEventpoll(ctx context.Context) (*Result, error) {
	starting := make(chan error, 1)
	startCh := make(chan struct{})
	done := make(chan struct{})
	go func() {
		r.runPoller(starting, startCh, r.cfg.Backend)
		close(done)
	}()
	if err := <-starting; err != nil {
		close(startCh)
		<-done
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.start = time.Now()
	close(startCh)
	if r.cfg.Duration > 0 {
		t := time.AfterFunc(r.cfg.Duration, r.halt)
		defer t.Stop()
	}
	go func() {
		<-ctx.Done()
		r.halt()
	}()
	if r.cfg.Progress != nil {
		r.reporting.Go(func() { r.report(ctx) })
	}
	go r.watchdog(ctx)
	<-done
	elapsed := time.Since(r.start)
	cancel()
	r.reporting.Wait() // no Progress call after Run returns
	return r.result(elapsed), nil
}

func (r *run) dialAll(ctx context.Context) ([]net.Conn, error) {
	conns := make([]net.Conn, r.cfg.Conns)
	d := net.Dialer{Timeout: r.cfg.DialTimeout}
	sem := make(chan struct{}, r.cfg.DialParallel)
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	for i := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := d.DialContext(ctx, r.cfg.Network, r.cfg.Addr)
			if err == nil && r.cfg.TLS != nil {
				c, err = tlsHandshake(ctx, c, r.cfg.TLS, r.cfg.Addr, r.cfg.DialTimeout)
			}
			if err != nil {
				firstErr.CompareAndSwap(nil, &err)
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		return nil, fmt.Errorf("dial %s: %w", r.cfg.Addr, *e)
	}
	return conns, nil
}

// conn runs one connection: a writer goroutine that keeps up to Depth
// requests in flight, and the reader (this goroutine) that verifies replies
// in order and returns a credit to the writer for each.
func (r *run) conn(c net.Conn, id int, quota int64) {
	defer c.Close()
	depth := r.cfg.Depth
	credits := make(chan struct{}, depth)
	for range depth {
		credits <- struct{}{}
	}
	sent := make([]atomic.Int64, depth) // send time (ns since start) per slot
	var final atomic.Int64              // messages sent in all; -1 while sending
	final.Store(-1)
	var received atomic.Int64
	writerErr := make(chan error, 1)
	quit := make(chan struct{}) // closed when the reader gives up

	go func() {
		writerErr <- r.writer(c, id, quota, credits, quit, sent, &final, &received)
	}()

	replyMax := r.proto.maxReply()
	bufSize := min(max(depth*replyMax, 512), 16<<10)
	br := bufio.NewReaderSize(c, bufSize)
	got := make([]byte, replyMax)
	lat := make([]int64, 0, latencyBatch)
	shard := &r.shards[id%histShards]
	flush := func() {
		if len(lat) == 0 {
			return
		}
		shard.Lock()
		for _, v := range lat {
			_ = shard.h.RecordValue(v)
		}
		shard.Unlock()
		lat = lat[:0]
	}
	defer flush()

	var seq uint64
	var head []byte // http: the response head being read
	for {
		if f := final.Load(); f >= 0 && received.Load() == f {
			break
		}
		var want, g []byte
		var err error
		size := 0
		if r.proto.http {
			size, err = readHTTPResponse(br, &head)
			if err != nil && !isNetErr(err) {
				r.fail(fmt.Errorf("conn %d: response %d: %w", id, seq, err))
				close(quit)
				c.SetWriteDeadline(time.Now())
				break
			}
		} else {
			want = r.proto.reply(seq)
			g = got[:len(want)]
			size = len(want)
			_, err = io.ReadFull(br, g)
		}
		if err != nil {
			f := final.Load()
			if f >= 0 && received.Load() == f && errors.Is(err, os.ErrDeadlineExceeded) {
				break // woken by the writer after the last reply
			}
			if f >= 0 {
				r.fail(fmt.Errorf("conn %d: %d replies missing: %w", id, f-received.Load(), err))
			} else {
				r.fail(fmt.Errorf("conn %d: read: %w", id, err))
			}
			close(quit)
			c.SetWriteDeadline(time.Now())
			break
		}
		now := time.Since(r.start).Nanoseconds()
		lat = append(lat, max(now-sent[seq%uint64(depth)].Load(), 1))
		if len(lat) == cap(lat) {
			flush()
		}
		if !r.proto.http && !bytes.Equal(g, want) {
			r.fail(fmt.Errorf("conn %d: reply %d differs from the expected %d bytes", id, seq, len(want)))
			close(quit)
			c.SetWriteDeadline(time.Now())
			break
		}
		r.msgs.Add(1)
		r.bytes.Add(int64(size + len(r.proto.request(seq))))
		seq++
		received.Add(1)
		credits <- struct{}{}
	}
	if err := <-writerErr; err != nil {
		r.fail(fmt.Errorf("conn %d: write: %w", id, err))
	}
}

func (r *run) writer(c net.Conn, id int, quota int64, credits, quit chan struct{}, sent []atomic.Int64,
	final, received *atomic.Int64) error {
	depth := uint64(r.cfg.Depth)
	var seq uint64
	bufs := make([][]byte, 0, depth)
	var interval time.Duration
	var next time.Duration // intended send time of the next message (open loop)
	if r.cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(r.cfg.Conns) / r.cfg.Rate)
		// Spread the connections' first sends over one interval.
		next = interval * time.Duration(id) / time.Duration(r.cfg.Conns)
	}
	var err error
	for !r.stop.Load() && (quota < 0 || int64(seq) < quota) {
		if interval > 0 {
			if d := next - time.Since(r.start); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-r.stopCh:
				case <-quit:
				}
				t.Stop()
				if r.stop.Load() {
					break
				}
			}
		}
		select {
		case <-credits:
		case <-r.stopCh:
		case <-quit:
		}
		if r.stop.Load() || isClosed(quit) {
			break
		}
		n := uint64(1)
	more:
		for n < depth && (quota < 0 || int64(seq+n) < quota) {
			if interval > 0 && next+time.Duration(n)*interval > time.Since(r.start) {
				break
			}
			select {
			case <-credits:
				n++
			default:
				break more
			}
		}
		bufs = bufs[:0]
		now := time.Since(r.start).Nanoseconds()
		for i := range n {
			s := seq + i
			t := now
			if interval > 0 {
				t = int64(next + time.Duration(i)*interval)
			}
			sent[s%depth].Store(t)
			bufs = append(bufs, r.proto.request(s))
		}
		if interval > 0 {
			next += time.Duration(n) * interval
		}
		nb := net.Buffers(bufs)
		if _, err = nb.WriteTo(c); err != nil {
			break
		}
		seq += n
	}
	final.Store(int64(seq))
	// Wake the reader: at once if every reply is in, else after Drain.
	if received.Load() == int64(seq) {
		c.SetReadDeadline(time.Now())
	} else {
		c.SetReadDeadline(time.Now().Add(r.cfg.Drain))
	}
	if err != nil && isClosed(quit) {
		err = nil // the reader gave up and already reported why
	}
	return err
}

// isNetErr reports whether err came from the connection (EOF, a deadline,
// a reset) rather than from a malformed response.
func isNetErr(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne) || errors.Is(err, os.ErrDeadlineExceeded)
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// watchdog stops sending when no reply has arrived for Drain, so that a
// server that stopped answering cannot hold a run by requests forever.
func (r *run) watchdog(ctx context.Context) {
	t := time.NewTicker(r.cfg.Drain / 4)
	defer t.Stop()
	last, since := r.msgs.Load(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.stopCh:
			return
		case <-t.C:
		}
		if n := r.msgs.Load(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= r.cfg.Drain {
			r.halt()
			return
		}
	}
}

func (r *run) report(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.cfg.Progress(Snapshot{Elapsed: time.Since(r.start), Msgs: r.msgs.Load(),
				Bytes: r.bytes.Load(), Errors: r.errors.Load()})
		}
	}
}

func (r *run) result(elapsed time.Duration) *Result {
	h := hdrhistogram.New(1, int64(time.Minute), 3)
	for i := range r.shards {
		h.Merge(r.shards[i].h)
	}
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	res := &Result{
		Addr: r.cfg.Addr, Proto: r.cfg.Proto, Engine: r.cfg.Engine, Conns: r.cfg.Conns, Depth: r.cfg.Depth, Size: r.cfg.Size,
		Rate: r.cfg.Rate, Seconds: elapsed.Seconds(),
		Msgs: r.msgs.Load(), Bytes: r.bytes.Load(), Errors: r.errors.Load(),
		Latency: Latency{
			P50: us(h.ValueAtQuantile(50)), P90: us(h.ValueAtQuantile(90)),
			P99: us(h.ValueAtQuantile(99)), P999: us(h.ValueAtQuantile(99.9)),
			Max: us(h.Max()), Mean: h.Mean() / 1e3,
		},
	}
	if s := elapsed.Seconds(); s > 0 {
		res.MsgsPerSec = float64(res.Msgs) / s
		res.MBPerSec = float64(res.Bytes) / s / 1e6
	}
	r.errMu.Lock()
	res.ErrorSamples = append(res.ErrorSamples, r.errSamples...)
	r.errMu.Unlock()
	return res
}
