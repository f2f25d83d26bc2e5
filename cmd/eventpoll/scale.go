package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eventpoll/eventpoll"
)

func init() {
	register("scale", "time one Wait against the number of idle fds (select, poll, epoll)", runScale)
}

// scaleRow is one measured cell: one backend through one path at one
// number of idle descriptors.
type scaleRow struct {
	Backend string `json:"backend"`
	// Path is "eventpoll" (through this library's Poller) or "raw" (the
	// system call on a prebuilt set, no library in between).
	Path  string `json:"path"`
	Fds   int    `json:"fds"`
	Ready int    `json:"ready"`
	// NsPerWait is the median over the rounds of the time per Wait(timeout 0).
	NsPerWait float64 `json:"ns_per_wait"`
	// NsMin and NsMax are the fastest and slowest round.
	NsMin float64 `json:"ns_min"`
	NsMax float64 `json:"ns_max"`
	// Waits is the number of Waits timed over all rounds.
	Waits int `json:"waits"`
	// RegNs is the one-time cost of registering all fds (Add of each fd, or
	// building the raw set), RegNsPerFd the same divided by the fds.
	RegNs      int64   `json:"reg_ns"`
	RegNsPerFd float64 `json:"reg_ns_per_fd"`
}

type scaleConfig struct {
	fds       []int
	selectMax int
	backends  []string
	paths     []string
	cell      time.Duration
	rounds    int
	active    int
	json      bool
	plot      string
}

func runScale(args []string) error {
	return scaleMain(args, os.Stdout, os.Stderr)
}

func scaleMain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fdsFlag := fs.String("fds", "100,200,500,1000,2000,5000,10000,15000", "comma-separated numbers of idle fds")
	selectMax := fs.Int("select-max", 1000, "largest idle count measured with select (its fds must stay below FD_SETSIZE)")
	backendsFlag := fs.String("backends", "select,poll,epoll", "backends to measure")
	pathsFlag := fs.String("paths", "eventpoll,raw", "paths: eventpoll (this library's Poller) and/or raw (the system call on a prebuilt set)")
	cell := fs.Duration("cell", 150*time.Millisecond, "time spent per cell (split into rounds)")
	rounds := fs.Int("rounds", 5, "rounds per cell; the median round is reported")
	active := fs.Int("active", 1, "active (always readable) fds besides the idle ones")
	jsonOut := fs.Bool("json", false, "print one JSON object per row instead of a table")
	plotOut := fs.String("plot", "", "also render µs per Wait against idle fds to this .svg or .png file (a comma-separated list renders several)")
	inFile := fs.String("in", "", "read the rows from this JSON-lines file (an earlier --json run) instead of measuring")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := scaleConfig{
		selectMax: *selectMax,
		backends:  splitList(*backendsFlag),
		paths:     splitList(*pathsFlag),
		cell:      *cell,
		rounds:    max(*rounds, 1),
		active:    max(*active, 1),
		json:      *jsonOut,
		plot:      *plotOut,
	}
	for _, s := range splitList(*fdsFlag) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("bad --fds value %q", s)
		}
		cfg.fds = append(cfg.fds, n)
	}
	if err := checkBackends(cfg.backends); err != nil { // flagcheck.go
		return err
	}
	for _, p := range cfg.paths {
		if p != "eventpoll" && p != "raw" {
			return fmt.Errorf("unknown path %q (want eventpoll or raw)", p)
		}
	}
	plots := splitList(cfg.plot)
	for _, p := range plots {
		if ext := strings.ToLower(filepath.Ext(p)); ext != ".svg" && ext != ".png" {
			return fmt.Errorf("unsupported plot format %q (want .svg or .png)", ext)
		}
	}
	var rows []scaleRow
	var err error
	if *inFile != "" {
		rows, err = readScaleRows(*inFile)
	} else {
		raiseNoFile()
		rows, err = measureScale(cfg)
	}
	if err != nil {
		return err
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	} else {
		printScaleTable(stdout, rows)
	}
	for _, p := range plots {
		if err := plotScale(rows, p); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	return nil
}

// readScaleRows reads rows written by --json.
func readScaleRows(file string) ([]scaleRow, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []scaleRow
	dec := json.NewDecoder(f)
	for {
		var r scaleRow
		if err := dec.Decode(&r); err == io.EOF {
			return rows, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		rows = append(rows, r)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// scaleFDs is one set of descriptors: idle eventfds (counter 0, never
// readable, no peer to keep open: one fd each) and active eventfds (counter
// 1, never drained, so level-triggered readiness holds on every Wait).
type scaleFDs struct {
	idle   []int
	active []int
}

func (s *scaleFDs) all() []int { return append(slices.Clone(s.idle), s.active...) }

func measureScale(cfg scaleConfig) ([]scaleRow, error) {
	var rows []scaleRow
	have := eventpoll.Backends()
	for _, n := range cfg.fds {
		for _, b := range cfg.backends {
			if b == "select" && n > cfg.selectMax {
				continue
			}
			for _, path := range cfg.paths {
				if path == "eventpoll" && !slices.Contains(have, b) {
					continue
				}
				if path == "raw" && b != "select" && b != "poll" && b != "epoll" {
					continue
				}
				// A fresh set per cell keeps the numbers low for select and
				// makes every cell start from the same state.
				fds, err := openScaleFDs(n, cfg.active)
				if err != nil {
					return rows, err
				}
				var row scaleRow
				if path == "eventpoll" {
					row, err = scaleLibrary(b, fds, cfg)
				} else {
					row, err = scaleRaw(b, fds, cfg)
				}
				fds.close()
				if err != nil {
					return rows, fmt.Errorf("%s/%s at %d fds: %w", b, path, n, err)
				}
				rows = append(rows, row)
			}
		}
	}
	return rows, nil
}

// timeWaits runs wait repeatedly: a calibration, then cfg.rounds rounds of
// about cfg.cell/rounds each. It returns the median, fastest and slowest
// ns per call and the number of calls timed.
func timeWaits(cfg scaleConfig, wait func() (int, error), want int) (median, lo, hi float64, total int, err error) {
	check := func() error {
		n, err := wait()
		if err != nil {
			return err
		}
		if n != want {
			return fmt.Errorf("wait returned %d ready, want %d", n, want)
		}
		return nil
	}
	// Calibrate: how many calls fit in one round.
	per := cfg.cell / time.Duration(cfg.rounds)
	iters := 1
	for {
		start := time.Now()
		for range iters {
			if err := check(); err != nil {
				return 0, 0, 0, 0, err
			}
		}
		el := time.Since(start)
		if el >= per/4 || iters >= 1<<24 {
			iters = max(int(float64(iters)*float64(per)/float64(max(el, 1))), 1)
			break
		}
		iters *= 4
	}
	res := make([]float64, 0, cfg.rounds)
	for range cfg.rounds {
		start := time.Now()
		for range iters {
			if err := check(); err != nil {
				return 0, 0, 0, 0, err
			}
		}
		res = append(res, float64(time.Since(start).Nanoseconds())/float64(iters))
		total += iters
	}
	sort.Float64s(res)
	return res[len(res)/2], res[0], res[len(res)-1], total, nil
}

func scaleLibrary(backend string, fds *scaleFDs, cfg scaleConfig) (scaleRow, error) {
	row := scaleRow{Backend: backend, Path: "eventpoll", Fds: len(fds.idle), Ready: len(fds.active)}
	p, err := eventpoll.New(backend)
	if err != nil {
		return row, err
	}
	defer p.Close()
	all := fds.all()
	start := time.Now()
	for i, fd := range all {
		if err := p.Add(fd, eventpoll.Readable, uint64(i)); err != nil {
			return row, err
		}
	}
	row.RegNs = time.Since(start).Nanoseconds()
	events := make([]eventpoll.Event, len(fds.active)+16)
	row.NsPerWait, row.NsMin, row.NsMax, row.Waits, err = timeWaits(cfg, func() (int, error) {
		return p.Wait(events, 0)
	}, len(fds.active))
	if n := len(all); n > 0 {
		row.RegNsPerFd = float64(row.RegNs) / float64(n)
	}
	return row, err
}

func printScaleTable(w io.Writer, rows []scaleRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\tpath\tidle fds\tns/wait\t(min\tmax)\tregister all µs\tns/fd\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.0f\t%.0f\t%.1f\t%.0f\t\n",
			r.Backend, r.Path, r.Fds, r.NsPerWait, r.NsMin, r.NsMax,
			float64(r.RegNs)/1e3, r.RegNsPerFd)
	}
	tw.Flush()
}
