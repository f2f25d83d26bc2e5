package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cell is one workload: connections x pipeline depth x payload size.
type cell struct{ Conns, Depth, Size int }

func (c cell) String() string {
	return fmt.Sprintf("%d conns x depth %d x %s", c.Conns, c.Depth, sizeName(c.Size))
}

func sizeName(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// sample is one timed run of one impl on one cell.
type sample struct {
	Impl  string `json:"impl"`
	Cell  cell   `json:"cell"`
	Rep   int    `json:"rep"`
	Loops int    `json:"loops,omitempty"`
	clientResult
	// ServerCPUSeconds is the server's user+system CPU over the client run
	// (connection setup included); ServerUsPerMsg divides it by the
	// verified messages.
	ServerCPUSeconds float64 `json:"server_cpu_seconds"`
	ServerUsPerMsg   float64 `json:"server_cpu_us_per_msg"`
	// ServerAllocsPerMsg is the Go server's heap allocations over the run
	// divided by the messages (connection setup included; -1: unknown).
	ServerAllocsPerMsg float64 `json:"server_allocs_per_msg"`
	// ServerRunqWaitSeconds is how long the server's threads were runnable
	// but waiting for a CPU during the run (taken by other processes).
	ServerRunqWaitSeconds float64 `json:"server_runq_wait_seconds"`
	// ServerSyscallsPerMsg is the server's system calls over the run
	// (perf, raw_syscalls:sys_enter) divided by the messages; 0: not counted.
	ServerSyscallsPerMsg float64 `json:"server_syscalls_per_msg,omitempty"`
	Err                  string  `json:"err,omitempty"`
}

// harness holds what every run of the matrix shares.
type harness struct {
	self       string // this binary
	cbin       string // the compiled C server
	serverCPUs string
	clientCPUs string
	engine     string // load client engine
	loadBefore string // load average at the start
	duration   time.Duration
	reps       int
	syscalls   bool      // count the server's system calls with perf
	jsonOut    io.Writer // raw samples, one JSON object per line (may be nil)
	log        io.Writer
}

func defaultCPUs() (server, client string) {
	n := runtime.NumCPU()
	if n < 2 {
		return "", ""
	}
	half := n / 2
	if half == 1 {
		return "0", "1"
	}
	return fmt.Sprintf("0-%d", half-1), fmt.Sprintf("%d-%d", half, n-1)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		mul := 1
		if v, ok := strings.CutSuffix(strings.ToLower(f), "k"); ok {
			f, mul = v, 1024
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, n*mul)
	}
	return out, nil
}

// commonFlags registers the flags matrix and loops share.
func (h *harness) commonFlags(fs *flag.FlagSet) (jsonPath *string) {
	sc, cc := defaultCPUs()
	fs.StringVar(&h.serverCPUs, "server-cpus", sc, "CPUs the servers are pinned to (taskset -c list)")
	fs.StringVar(&h.clientCPUs, "client-cpus", cc, "CPUs the load client is pinned to")
	fs.DurationVar(&h.duration, "duration", 3*time.Second, "time per run")
	fs.StringVar(&h.engine, "client-engine", "eventpoll", "load client engine: eventpoll (event loops), net (goroutines) or c (bin/cclient, the C epoll client: shares no code with the servers)")
	fs.IntVar(&h.reps, "reps", 3, "runs per cell and impl (median and range are reported)")
	fs.BoolVar(&h.syscalls, "syscalls", false, "count the server's system calls per message with perf stat (raw_syscalls:sys_enter)")
	return fs.String("json", "", "also write every sample as a JSON line to this file")
}

func (h *harness) setup(jsonPath string) (func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	h.self = self
	h.log = os.Stderr
	h.loadBefore = loadAvg()
	closeFn := func() {}
	if jsonPath != "" {
		f, err := os.Create(jsonPath)
		if err != nil {
			return nil, err
		}
		h.jsonOut = f
		closeFn = func() { f.Close() }
	}
	return closeFn, nil
}

// runOne times impl s on cell c once.
func (h *harness) runOne(s *server, c cell, rep, loops int) sample {
	sm := sample{Impl: s.impl.Name, Cell: c, Rep: rep, Loops: loops, ServerAllocsPerMsg: -1}
	a0, aok := s.allocs()
	w0, _ := procRunqWait(s.pid())
	cpu0, err := procCPU(s.pid())
	var sc *syscallCounter
	if h.syscalls && err == nil {
		sc, _ = startSyscallCount(s.pid())
	}
	if err == nil {
		var r *clientResult
		r, err = runClientProc(h.self, h.clientCPUs, h.engine, s.addr, c.Conns, c.Depth, c.Size, h.duration)
		if r != nil {
			sm.clientResult = *r
		}
		cpu1, cerr := procCPU(s.pid())
		if err == nil {
			err = cerr
		}
		sm.ServerCPUSeconds = cpu1 - cpu0
		if sc != nil {
			if n, err := sc.stop(); err == nil && sm.Msgs > 0 {
				sm.ServerSyscallsPerMsg = float64(n) / float64(sm.Msgs)
			}
			sc = nil
		}
		if w1, err := procRunqWait(s.pid()); err == nil {
			sm.ServerRunqWaitSeconds = max(w1-w0, 0)
		}
		if sm.Msgs > 0 {
			sm.ServerUsPerMsg = sm.ServerCPUSeconds / float64(sm.Msgs) * 1e6
			if a1, ok := s.allocs(); ok && aok {
				sm.ServerAllocsPerMsg = float64(a1-a0) / float64(sm.Msgs)
			}
		}
	}
	if sc != nil {
		sc.stop()
	}
	if err != nil {
		sm.Err = err.Error()
	} else if sm.Errors > 0 {
		sm.Err = fmt.Sprintf("%d errors: %v", sm.Errors, sm.ErrorSamples)
	}
	if h.jsonOut != nil {
		json.NewEncoder(h.jsonOut).Encode(sm)
	}
	return sm
}

// runMatrix is the "matrix" subcommand.
func runMatrix(args []string) error {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	var h harness
	jsonPath := h.commonFlags(fs)
	implsFlag := fs.String("impls", "c,net,netpoll,eventpoll:epoll:et:1,eventpoll:epoll:lt:1,eventpoll:epoll:et:2,eventpoll:poll:et:1,eventpoll:poll:lt:1,eventpoll:select:et:1,eventpoll:select:lt:1",
		"servers to compare (see parseImpl)")
	connsFlag := fs.String("conns", "100,1000,10000", "connection counts")
	depthFlag := fs.String("depth", "1,16", "pipeline depths")
	sizeFlag := fs.String("size", "64,4k", "payload sizes")
	idleConns := fs.Int("idle-conns", 10000, "connections for the idle RSS measurement (0: skip)")
	quick := fs.Bool("quick", false, "small subset: 100 and 1000 conns, depth 16, 64 B, 2 s runs, 1000 idle conns")
	out := fs.String("out", "", "write the Markdown report to this file too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *quick {
		*connsFlag, *depthFlag, *sizeFlag = "100,1000", "16", "64"
		if !flagSet(fs, "duration") {
			h.duration = 2 * time.Second
		}
		if !flagSet(fs, "idle-conns") {
			*idleConns = 1000
		}
	}
	done, err := h.setup(*jsonPath)
	if err != nil {
		return err
	}
	defer done()
	var cells []cell
	conns, err1 := parseInts(*connsFlag)
	depths, err2 := parseInts(*depthFlag)
	sizes, err3 := parseInts(*sizeFlag)
	if err := firstErr(err1, err2, err3); err != nil {
		return err
	}
	for _, n := range conns {
		for _, d := range depths {
			for _, s := range sizes {
				cells = append(cells, cell{n, d, s})
			}
		}
	}
	if h.cbin, err = buildC(binDir(h.self)); err != nil {
		fmt.Fprintln(h.log, "C server unavailable:", err)
	}
	var impls []impl
	for _, name := range strings.Split(*implsFlag, ",") {
		im, err := parseImpl(strings.TrimSpace(name), h.self, h.cbin)
		if err != nil {
			return err
		}
		if name == "c" && h.cbin == "" {
			continue
		}
		impls = append(impls, im)
	}

	// All servers run at once, pinned to the same CPUs; runs are
	// interleaved (cell, rep, impl) so drift on a shared machine spreads
	// over every impl alike.
	servers := map[string]*server{}
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, im := range impls {
		s, err := startServer(im, h.serverCPUs)
		if err != nil {
			fmt.Fprintln(h.log, "skip:", err)
			continue
		}
		servers[im.Name] = s
	}
	start := time.Now()
	var samples []sample
	for _, c := range cells {
		for rep := range h.reps {
			for _, im := range impls {
				s := servers[im.Name]
				if s == nil || c.Conns > im.MaxConns {
					continue
				}
				if !s.alive() {
					fmt.Fprintf(h.log, "%s died: %s\n", im.Name, s.log.String())
					delete(servers, im.Name)
					continue
				}
				sm := h.runOne(s, c, rep, 0)
				samples = append(samples, sm)
				fmt.Fprintf(h.log, "[%6.0fs] %-22s %-30s rep %d: %9.0f msgs/s  server %.2f µs/msg  %s\n",
					time.Since(start).Seconds(), im.Name, c, rep, sm.MsgsPerSec, sm.ServerUsPerMsg, sm.Err)
			}
		}
	}
	var idle []idleResult
	if *idleConns > 0 {
		for _, im := range impls {
			if *idleConns > im.MaxConns || servers[im.Name] == nil {
				continue
			}
			b, w, err := idleRSS(h.self, h.serverCPUs, h.clientCPUs, im, *idleConns)
			r := idleResult{Impl: im.Name, Conns: *idleConns, RSSBefore: b, RSSWith: w}
			if err != nil {
				r.Err = err.Error()
			}
			fmt.Fprintf(h.log, "idle %-22s %d conns: %d -> %d bytes RSS %s\n", im.Name, *idleConns, b, w, r.Err)
			idle = append(idle, r)
		}
	}
	report := matrixReport(cells, impls, samples, idle, h, fs)
	fmt.Print(report)
	if *out != "" {
		return os.WriteFile(*out, []byte(report), 0o644)
	}
	return nil
}

type idleResult struct {
	Impl      string
	Conns     int
	RSSBefore int64
	RSSWith   int64
	Err       string
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// stats returns the median, min and max of xs.
func stats(xs []float64) (med, lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}
