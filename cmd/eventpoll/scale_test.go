package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eventpoll/eventpoll"
)

func TestScaleJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	svg := filepath.Join(t.TempDir(), "scale.svg")
	args := []string{"--fds", "10,200", "--select-max", "100", "--cell", "5ms", "--rounds", "3", "--json", "--plot", svg}
	if err := scaleMain(args, &out, &errOut); err != nil {
		t.Fatalf("scale: %v\nstderr: %s", err, errOut.String())
	}
	type key struct {
		backend, path string
		fds           int
	}
	got := map[key]bool{}
	jsonRows := out.String()
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		for _, f := range []string{"backend", "path", "fds", "ns_per_wait", "reg_ns", "ready"} {
			if _, ok := raw[f]; !ok {
				t.Errorf("row %s lacks %q", sc.Text(), f)
			}
		}
		var r scaleRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.NsPerWait <= 0 || r.Waits <= 0 || r.Ready != 1 {
			t.Errorf("implausible row %+v", r)
		}
		if r.Backend == "select" && r.Fds > 100 {
			t.Errorf("select measured beyond --select-max: %+v", r)
		}
		got[key{r.Backend, r.Path, r.Fds}] = true
	}
	for _, b := range []string{"select", "poll", "epoll"} {
		for _, n := range []int{10, 200} {
			if b == "select" && n > 100 {
				continue
			}
			if !got[key{b, "raw", n}] {
				t.Errorf("no raw row for %s at %d fds", b, n)
			}
			if slices.Contains(eventpoll.Backends(), b) && !got[key{b, "eventpoll", n}] {
				t.Errorf("no eventpoll row for registered backend %s at %d fds", b, n)
			}
		}
	}
	if !got[key{"epoll", "eventpoll", 200}] {
		t.Error("no epoll row through the library")
	}
	data, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "<svg") {
		t.Errorf("plot is not an SVG: %.80q", data)
	}

	// The same rows read back (--in) give the same table and a PNG.
	rowsFile := filepath.Join(t.TempDir(), "rows.json")
	if err := os.WriteFile(rowsFile, []byte(jsonRows), 0o644); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(t.TempDir(), "scale.png")
	var again bytes.Buffer
	if err := scaleMain([]string{"--in", rowsFile, "--json", "--plot", png}, &again, &errOut); err != nil {
		t.Fatal(err)
	}
	if again.String() != jsonRows {
		t.Errorf("rows read back differ:\n%s\nvs\n%s", again.String(), jsonRows)
	}
	if data, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Errorf("no PNG written (%v)", err)
	}
}

func TestScaleTable(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := scaleMain([]string{"--fds", "5", "--backends", "epoll", "--cell", "2ms"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ns/wait") || strings.Count(out.String(), "epoll") != 2 {
		t.Errorf("table:\n%s", out.String())
	}
}

func TestScaleBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{"--fds", "x"}, {"--paths", "nope"}, {"--fds", "1", "--plot", "a.gif"}} {
		if err := scaleMain(args, &out, &errOut); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
