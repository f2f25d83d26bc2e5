package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventpoll/eventpoll/internal/selfsign"
	"github.com/eventpoll/eventpoll/loadgen"
	"golang.org/x/sys/unix"
)

// runTLS is the "tls" subcommand: TLS echo (conns x depth x size), full and
// resumed handshakes, and HTTPS with wrk, each server in its own process
// pinned to the server CPUs, the clients on the others. It prints Markdown.
func runTLS(args []string) error {
	fs := flag.NewFlagSet("tls", flag.ContinueOnError)
	conns := fs.Int("conns", 1000, "echo connections")
	depth := fs.Int("depth", 16, "echo messages in flight per connection")
	sizesF := fs.String("sizes", "64,4096", "echo message sizes")
	implsF := fs.String("impls", "eventpoll,net,nbio", "echo servers")
	dur := fs.Duration("duration", 6*time.Second, "each echo run")
	reps := fs.Int("reps", 2, "runs per echo cell (alternating servers)")
	hsDur := fs.Duration("handshake-duration", 4*time.Second, "each handshake run (0: skip)")
	hsWorkers := fs.Int("handshake-clients", 16, "concurrent handshaking clients")
	wrkDur := fs.Duration("wrk-duration", 5*time.Second, "each wrk run (0: skip)")
	wrkConns := fs.Int("wrk-conns", 100, "wrk connections")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	sizes, err := parseInts(*sizesF)
	if err != nil {
		return err
	}
	scpu, ccpu := defaultCPUs()
	if ccpu != "" {
		if cpus, err := cpuList(ccpu); err == nil {
			var set unix.CPUSet
			for _, c := range cpus {
				set.Set(c)
			}
			unix.SchedSetaffinity(0, &set)
		}
	}
	cert, err := selfsign.New()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-tls")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, cert.CertPEM, 0o600)
	os.WriteFile(keyFile, cert.KeyPEM, 0o600)
	tlsImpl := func(name string) impl {
		return impl{Name: name, MaxConns: 1 << 30, Args: func(addr string) []string {
			return []string{self, "tlsserver", "--impl", name, "--cert", certFile, "--key", keyFile, "--addr", addr}
		}}
	}
	client := &tls.Config{RootCAs: cert.Pool(), ServerName: "localhost"}
	fmt.Printf("TLS benchmarks: %s; server CPUs %q, client CPUs %q; load average %s\n\n", machine(), scpu, ccpu, loadAvg())

	// Echo.
	impls := strings.Split(*implsF, ",")
	fmt.Printf("### TLS echo: %d conns x depth %d (TLS 1.3, AES-128-GCM, one server loop)\n\n", *conns, *depth)
	fmt.Println("| size | server | msgs/s (median) | server CPU µs/msg (median) | runs | errors |")
	fmt.Println("|---|---|---:|---:|---|---:|")
	for _, size := range sizes {
		type agg struct {
			rate, cpu []float64
			errs      int64
		}
		res := map[string]*agg{}
		for rep := 0; rep < *reps; rep++ {
			for _, name := range impls {
				a := res[name]
				if a == nil {
					a = &agg{}
					res[name] = a
				}
				rate, cpu, errs, err := tlsEchoRun(tlsImpl(name), scpu, client, *conns, *depth, size, *dur)
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s size %d: %v\n", name, size, err)
					a.errs++
					continue
				}
				a.rate = append(a.rate, rate)
				a.cpu = append(a.cpu, cpu)
				a.errs += errs
			}
		}
		for _, name := range impls {
			a := res[name]
			fmt.Printf("| %s | %s | %.0f | %.2f | %s | %d |\n", sizeName(size), name, med(a.rate), med(a.cpu), fmtRuns(a.cpu), a.errs)
		}
	}

	if *hsDur > 0 {
		fmt.Printf("\n### TLS handshakes: %d concurrent clients, connect + 1-byte echo + close\n\n", *hsWorkers)
		fmt.Println("| kind | server | handshakes/s | server CPU µs/handshake | errors |")
		fmt.Println("|---|---|---:|---:|---:|")
		for _, resumed := range []bool{false, true} {
			for _, name := range []string{"eventpoll", "net"} {
				rate, cpu, errs, err := tlsHandshakeRun(tlsImpl(name), scpu, client, resumed, *hsWorkers, *hsDur)
				if err != nil {
					return err
				}
				kind := "full"
				if resumed {
					kind = "resumed"
				}
				fmt.Printf("| %s | %s | %.0f | %.0f | %d |\n", kind, name, rate, cpu, errs)
			}
		}
	}

	if *wrkDur > 0 {
		if wrk, err := exec.LookPath("wrk"); err == nil {
			fmt.Printf("\n### HTTPS: wrk -t1 -c%d -d%s https://.../ (Hello, World!)\n\n", *wrkConns, *wrkDur)
			fmt.Println("| server | requests/s | server CPU µs/request | errors |")
			fmt.Println("|---|---:|---:|---|")
			for _, name := range []string{"eventpoll-http", "fasthttp"} {
				rate, cpu, errs, err := tlsWrkRun(tlsImpl(name), scpu, ccpu, wrk, *wrkConns, *wrkDur)
				if err != nil {
					return err
				}
				fmt.Printf("| %s | %.0f | %.2f | %s |\n", name, rate, cpu, errs)
			}
		} else {
			fmt.Println("\n(wrk not installed: HTTPS skipped)")
		}
	}
	return nil
}

func fmtRuns(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.FormatFloat(x, 'f', 2, 64))
	}
	return strings.Join(s, " ")
}

// tlsEchoRun measures one echo run: msgs/s and server CPU per message
// between the first and the last progress report (handshakes excluded).
func tlsEchoRun(im impl, cpus string, client *tls.Config, conns, depth, size int, d time.Duration) (rate, cpuPerMsg float64, errs int64, err error) {
	s, err := startServer(im, cpus)
	if err != nil {
		return 0, 0, 0, err
	}
	defer s.stop()
	var mu sync.Mutex
	var first, last struct {
		msgs int64
		cpu  float64
		t    time.Duration
	}
	n := 0
	cfg := loadgen.Config{Addr: s.addr, Conns: conns, Depth: depth, Size: size, Duration: d, Drain: 3 * time.Second,
		TLS: client, Engine: "net", DialParallel: 32, DialTimeout: 30 * time.Second,
		Progress: func(sn loadgen.Snapshot) {
			c, _ := procCPU(s.pid())
			mu.Lock()
			defer mu.Unlock()
			if n == 0 {
				first.msgs, first.cpu, first.t = sn.Msgs, c, sn.Elapsed
			}
			last.msgs, last.cpu, last.t = sn.Msgs, c, sn.Elapsed
			n++
		}}
	res, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		return 0, 0, 0, err
	}
	mu.Lock()
	defer mu.Unlock()
	dm := float64(last.msgs - first.msgs)
	if n < 2 || dm <= 0 {
		return 0, 0, res.Errors, fmt.Errorf("too few progress reports (%d)", n)
	}
	return dm / (last.t - first.t).Seconds(), (last.cpu - first.cpu) / dm * 1e6, res.Errors, nil
}

// tlsHandshakeRun runs workers clients that connect, echo one byte and
// close, for d; resumed clients share a session cache.
func tlsHandshakeRun(im impl, cpus string, client *tls.Config, resumed bool, workers int, d time.Duration) (rate, cpuPer float64, errs int64, err error) {
	s, err := startServer(im, cpus)
	if err != nil {
		return 0, 0, 0, err
	}
	defer s.stop()
	cfg := client.Clone()
	if resumed {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(workers * 4)
	}
	once := func() bool {
		c, err := tls.Dial("tcp", s.addr, cfg)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte{'x'}); err != nil {
			return false
		}
		_, err = io.ReadFull(c, make([]byte, 1))
		return err == nil
	}
	for i := 0; i < workers; i++ { // warm the session cache
		once()
	}
	var count, failed, resumedN atomic.Int64
	cpu0, _ := procCPU(s.pid())
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Go(func() {
			for time.Since(start) < d {
				c, err := tls.Dial("tcp", s.addr, cfg)
				if err != nil {
					failed.Add(1)
					continue
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				c.Write([]byte{'x'})
				if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
					failed.Add(1)
				} else {
					count.Add(1)
					if c.ConnectionState().DidResume {
						resumedN.Add(1)
					}
				}
				c.Close()
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	cpu1, _ := procCPU(s.pid())
	n := count.Load()
	if n == 0 {
		return 0, 0, failed.Load(), fmt.Errorf("%s: no handshake completed", im.Name)
	}
	if resumed && resumedN.Load() < n*9/10 {
		fmt.Fprintf(os.Stderr, "%s: only %d of %d handshakes resumed\n", im.Name, resumedN.Load(), n)
	}
	return float64(n) / el.Seconds(), (cpu1 - cpu0) / float64(n) * 1e6, failed.Load(), nil
}

var (
	wrkRPS  = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkReqs = regexp.MustCompile(`(\d+) requests in`)
)

// tlsWrkRun drives an HTTPS server with wrk.
func tlsWrkRun(im impl, scpus, ccpus, wrk string, conns int, d time.Duration) (rate, cpuPer float64, errs string, err error) {
	s, err := startServer(im, scpus)
	if err != nil {
		return 0, 0, "", err
	}
	defer s.stop()
	args := taskset(ccpus, []string{wrk, "-t1", "-c" + strconv.Itoa(conns), "-d" + d.String(), "https://" + s.addr + "/"})
	cpu0, _ := procCPU(s.pid())
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	cpu1, _ := procCPU(s.pid())
	if err != nil {
		return 0, 0, "", fmt.Errorf("wrk: %v\n%s", err, out)
	}
	m, m2 := wrkRPS.FindSubmatch(out), wrkReqs.FindSubmatch(out)
	if m == nil || m2 == nil {
		return 0, 0, "", fmt.Errorf("wrk output:\n%s", out)
	}
	rate, _ = strconv.ParseFloat(string(m[1]), 64)
	reqs, _ := strconv.ParseFloat(string(m2[1]), 64)
	errs = "0"
	if i := strings.Index(string(out), "Socket errors"); i >= 0 {
		errs = strings.TrimSpace(strings.SplitN(string(out[i:]), "\n", 2)[0])
	}
	if strings.Contains(string(out), "Non-2xx") {
		errs += " non-2xx"
	}
	return rate, (cpu1 - cpu0) / reqs * 1e6, errs, nil
}
