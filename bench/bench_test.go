package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the bench binary: the harness
// runs itself with a subcommand (server, client, idle).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && commands[os.Args[1]] != nil {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCPUList(t *testing.T) {
	got, err := cpuList("0-2,5,8-9")
	if err != nil || !slices.Equal(got, []int{0, 1, 2, 5, 8, 9}) {
		t.Errorf("cpuList = %v, %v", got, err)
	}
	for _, bad := range []string{"x", "3-1", "1-y"} {
		if _, err := cpuList(bad); err == nil {
			t.Errorf("cpuList(%q): no error", bad)
		}
	}
}

func TestParseInts(t *testing.T) {
	got, err := parseInts("64, 4k,100")
	if err != nil || !slices.Equal(got, []int{64, 4096, 100}) {
		t.Errorf("parseInts = %v, %v", got, err)
	}
}

func TestStats(t *testing.T) {
	m, lo, hi := stats([]float64{3, 1, 2})
	if m != 2 || lo != 1 || hi != 3 {
		t.Errorf("stats = %v %v %v", m, lo, hi)
	}
	if m, _, _ := stats([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("even median = %v", m)
	}
}

func TestProcSelf(t *testing.T) {
	pid := os.Getpid()
	start := time.Now()
	for time.Since(start) < 30*time.Millisecond {
	}
	cpu, err := procCPU(pid)
	if err != nil || cpu <= 0 {
		t.Errorf("procCPU = %v, %v", cpu, err)
	}
	rss, err := procRSS(pid)
	if err != nil || rss < 1<<20 {
		t.Errorf("procRSS = %v, %v", rss, err)
	}
}

// One tiny matrix end to end against Go net and the reactor: servers and
// clients run as separate processes of this test binary.
func TestMatrixEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and clients")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "report.md")
	jsonl := filepath.Join(dir, "samples.jsonl")
	oldArgs := os.Args
	defer func() { os.Args = oldArgs }()
	os.Args = []string{"bench", "matrix"}
	err := runMatrix([]string{"--impls", "net,eventpoll:epoll:et:1", "--conns", "10", "--depth", "4", "--size", "64",
		"--duration", "300ms", "--reps", "2", "--idle-conns", "50", "--out", out, "--json", jsonl})
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"10 conns x depth 4 x 64 B", "| net |", "| eventpoll:epoll:et:1 |", "bytes per conn", "Machine:"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(string(report), "failed") {
		t.Errorf("a run failed:\n%s", report)
	}
	samples, _ := os.ReadFile(jsonl)
	if n := strings.Count(string(samples), "\n"); n != 4 {
		t.Errorf("%d samples, want 4 (2 impls x 2 reps)", n)
	}
}
