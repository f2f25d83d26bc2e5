package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// binDir is where the harness keeps the compiled C server: next to this
// binary when it lives in a bin directory (run.sh build), else a temporary
// directory (go run).
func binDir(self string) string {
	if d := filepath.Dir(self); filepath.Base(d) == "bin" {
		return d
	}
	d, err := os.MkdirTemp("", "eventpoll-bench")
	if err != nil {
		return os.TempDir()
	}
	return d
}

// machine describes the host in one line.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	kernel := "?"
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(data))
	}
	return fmt.Sprintf("%d CPUs (%s), Linux %s, %s", runtime.NumCPU(), model, kernel, runtime.Version())
}

// loadAvg returns the 1, 5 and 15 minute load averages, to show how busy a
// shared machine was around a run.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

type agg struct {
	msgs, mb, p50, p99, usPerMsg, srvCPU, cliCPU, allocs, srvWait, sysPerMsg []float64
	errors                                                                   int64
	failed                                                                   []string
}

func aggregate(samples []sample) map[string]map[cell]*agg {
	m := map[string]map[cell]*agg{}
	for _, s := range samples {
		if m[s.Impl] == nil {
			m[s.Impl] = map[cell]*agg{}
		}
		a := m[s.Impl][s.Cell]
		if a == nil {
			a = &agg{}
			m[s.Impl][s.Cell] = a
		}
		if s.Err != "" && s.Msgs == 0 {
			a.failed = append(a.failed, s.Err)
			continue
		}
		a.errors += s.Errors
		a.msgs = append(a.msgs, s.MsgsPerSec)
		a.mb = append(a.mb, s.MBPerSec)
		a.p50 = append(a.p50, s.Latency.P50)
		a.p99 = append(a.p99, s.Latency.P99)
		a.usPerMsg = append(a.usPerMsg, s.ServerUsPerMsg)
		if s.ServerSyscallsPerMsg > 0 {
			a.sysPerMsg = append(a.sysPerMsg, s.ServerSyscallsPerMsg)
		}
		if s.ServerAllocsPerMsg >= 0 {
			a.allocs = append(a.allocs, s.ServerAllocsPerMsg)
		}
		if s.Seconds > 0 {
			a.srvCPU = append(a.srvCPU, 100*s.ServerCPUSeconds/s.Seconds)
			a.srvWait = append(a.srvWait, 100*s.ServerRunqWaitSeconds/s.Seconds)
			a.cliCPU = append(a.cliCPU, 100*s.ClientCPUSeconds/s.Seconds)
		}
	}
	return m
}

func med(xs []float64) float64 { m, _, _ := stats(xs); return m }

func matrixReport(cells []cell, impls []impl, samples []sample, idle []idleResult, h harness, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s\n\n", machine())
	fmt.Fprintf(&b, "Command: `bench matrix %s`; servers pinned to CPUs %q, client (%s engine) to %q; %v per run, %d runs per cell (median, [min–max] of msgs/s). Load average before/after: %s / %s.\n\n",
		strings.Join(os.Args[2:], " "), h.serverCPUs, h.engine, h.clientCPUs, h.duration, h.reps, h.loadBefore, loadAvg())
	data := aggregate(samples)
	for _, c := range cells {
		fmt.Fprintf(&b, "#### %s\n\n", c)
		fmt.Fprintln(&b, "| server | msgs/s (median) | [min–max] | MB/s | p50 µs | p99 µs | server CPU µs/msg | syscalls/msg | server allocs/msg | server CPU % | server waited for CPU % | client CPU % | vs C | errors |")
		fmt.Fprintln(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		var cMed float64
		if a := data["c"][c]; a != nil {
			cMed = med(a.msgs)
		}
		for _, im := range impls {
			a := data[im.Name][c]
			if a == nil {
				continue
			}
			if len(a.msgs) == 0 {
				fmt.Fprintf(&b, "| %s | failed: %s | | | | | | | | | | | | |\n", im.Name, firstLine(a.failed))
				continue
			}
			m, lo, hi := stats(a.msgs)
			vs := ""
			if cMed > 0 {
				vs = fmt.Sprintf("%.2fx", m/cMed)
			}
			allocs := "n/a"
			if len(a.allocs) > 0 {
				allocs = fmt.Sprintf("%.3f", med(a.allocs))
			}
			sys := "n/a"
			if len(a.sysPerMsg) > 0 {
				sys = fmt.Sprintf("%.3f", med(a.sysPerMsg))
			}
			fmt.Fprintf(&b, "| %s | %.0f | [%.0f–%.0f] | %.1f | %.0f | %.0f | %.2f | %s | %s | %.0f | %.0f | %.0f | %s | %d |\n",
				im.Name, m, lo, hi, med(a.mb), med(a.p50), med(a.p99), med(a.usPerMsg), sys, allocs, med(a.srvCPU), med(a.srvWait), med(a.cliCPU), vs, a.errors)
		}
		fmt.Fprintln(&b)
	}
	if len(idle) > 0 {
		fmt.Fprintln(&b, "#### RSS per idle connection (fresh server; each connection echoed 64 B once, then held idle)")
		fmt.Fprintln(&b)
		fmt.Fprintln(&b, "| server | conns | RSS before | RSS with conns | bytes per conn |")
		fmt.Fprintln(&b, "|---|---:|---:|---:|---:|")
		for _, r := range idle {
			if r.Err != "" {
				fmt.Fprintf(&b, "| %s | %d | failed: %s | | |\n", r.Impl, r.Conns, r.Err)
				continue
			}
			fmt.Fprintf(&b, "| %s | %d | %.1f MiB | %.1f MiB | %.0f |\n", r.Impl, r.Conns,
				float64(r.RSSBefore)/(1<<20), float64(r.RSSWith)/(1<<20), float64(r.RSSWith-r.RSSBefore)/float64(r.Conns))
		}
		fmt.Fprintln(&b)
	}
	return b.String()
}

func firstLine(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	s, _, _ := strings.Cut(xs[0], "\n")
	return strings.ReplaceAll(s, "|", "/")
}
