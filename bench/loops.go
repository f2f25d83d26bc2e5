package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuList expands a taskset list ("0-3,8") into CPU numbers.
func cpuList(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("bad CPU list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad CPU list %q", s)
			}
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out, nil
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// runLoops is the "loops" subcommand: one workload against the reactor
// (and optionally netpoll) with 1, 2, 4, 8 event loops, the server pinned to
// as many CPUs as it has loops.
func runLoops(args []string) error {
	fs := flag.NewFlagSet("loops", flag.ContinueOnError)
	var h harness
	jsonPath := h.commonFlags(fs)
	loopsFlag := fs.String("loops", "1,2,4,8", "event loop counts")
	implsFlag := fs.String("impls", "eventpoll:epoll:et,netpoll", "servers (eventpoll:BACKEND:TRIG and netpoll take the loop count; net, c run as is)")
	conns := fs.Int("conns", 1000, "connections")
	depth := fs.Int("depth", 16, "pipeline depth")
	size := fs.Int("size", 64, "payload bytes")
	out := fs.String("out", "", "write the Markdown report to this file too")
	plotFile := fs.String("plot", "", "render msgs/s against loops to this .svg or .png file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	done, err := h.setup(*jsonPath)
	if err != nil {
		return err
	}
	defer done()
	loops, err := parseInts(*loopsFlag)
	if err != nil {
		return err
	}
	scpus, err := cpuList(h.serverCPUs)
	if err != nil {
		return err
	}
	if h.cbin, err = buildC(binDir(h.self)); err != nil {
		fmt.Fprintln(h.log, "C server unavailable:", err)
	}
	c := cell{*conns, *depth, *size}
	type point struct {
		impl  string
		loops int
		cpus  string
		a     *agg
	}
	var points []point
	start := time.Now()
	for _, base := range strings.Split(*implsFlag, ",") {
		base = strings.TrimSpace(base)
		for _, n := range loops {
			name := base
			switch {
			case strings.HasPrefix(base, "eventpoll:"):
				name = fmt.Sprintf("%s:%d", base, n)
			case base == "netpoll":
				name = fmt.Sprintf("netpoll:%d", n)
			}
			im, err := parseImpl(name, h.self, h.cbin)
			if err != nil {
				return err
			}
			cpus := scpus[:min(n, len(scpus))]
			s, err := startServer(im, joinInts(cpus))
			if err != nil {
				fmt.Fprintln(h.log, "skip:", err)
				continue
			}
			var samples []sample
			for rep := range h.reps {
				sm := h.runOne(s, c, rep, n)
				samples = append(samples, sm)
				fmt.Fprintf(h.log, "[%6.0fs] %-26s cpus %-8s rep %d: %9.0f msgs/s  server %.2f µs/msg  %s\n",
					time.Since(start).Seconds(), name, joinInts(cpus), rep, sm.MsgsPerSec, sm.ServerUsPerMsg, sm.Err)
			}
			s.stop()
			points = append(points, point{base, n, joinInts(cpus), aggregate(samples)[name][c]})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s\n\n", machine())
	fmt.Fprintf(&b, "Command: `bench loops %s`; %s; server pinned to the first N of CPUs %q, client (%s engine) to %q; %v per run, %d runs (median, [min–max]). Load average before/after: %s / %s.\n\n",
		strings.Join(os.Args[2:], " "), c, h.serverCPUs, h.engine, h.clientCPUs, h.duration, h.reps, h.loadBefore, loadAvg())
	fmt.Fprintln(&b, "| server | loops | server CPUs | msgs/s (median) | [min–max] | speedup vs 1 loop | efficiency | p99 µs | server CPU µs/msg | client CPU % | errors |")
	fmt.Fprintln(&b, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	base := map[string]float64{}
	var plotted []loopsPoint
	for _, p := range points {
		if p.a == nil || len(p.a.msgs) == 0 {
			fmt.Fprintf(&b, "| %s | %d | %s | failed | | | | | | | |\n", p.impl, p.loops, p.cpus)
			continue
		}
		m, lo, hi := stats(p.a.msgs)
		plotted = append(plotted, loopsPoint{p.impl, p.loops, m})
		if p.loops == 1 {
			base[p.impl] = m
		}
		sp, eff := "", ""
		if b1 := base[p.impl]; b1 > 0 {
			sp = fmt.Sprintf("%.2fx", m/b1)
			eff = fmt.Sprintf("%.0f%%", 100*m/b1/float64(p.loops))
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %.0f | [%.0f–%.0f] | %s | %s | %.0f | %.2f | %.0f | %d |\n",
			p.impl, p.loops, p.cpus, m, lo, hi, sp, eff, med(p.a.p99), med(p.a.usPerMsg), med(p.a.cliCPU), p.a.errors)
	}
	fmt.Print(b.String())
	if *plotFile != "" {
		if err := plotLoops(plotted, fmt.Sprintf("Echo throughput against event loops (%s)", c), *plotFile); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	if *out != "" {
		return os.WriteFile(*out, []byte(b.String()), 0o644)
	}
	return nil
}
