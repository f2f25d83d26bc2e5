package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestServeDebugAddr: serve --debug-addr publishes the goroutine count and
// memory statistics (expvar) on a loopback address, and refuses any other.
func TestServeDebugAddr(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debug := l.Addr().String()
	l.Close()
	startServe(t, "--addr", "127.0.0.1:0", "--proto", "echo", "--loops", "2", "--debug-addr", debug)
	resp, err := http.Get("http://" + debug + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var vars struct {
		Goroutines int `json:"goroutines"`
		Memstats   struct {
			HeapInuse uint64
		} `json:"memstats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
		t.Fatal(err)
	}
	if vars.Goroutines < 2 || vars.Memstats.HeapInuse == 0 {
		t.Fatalf("/debug/vars: goroutines %d, heap in use %d", vars.Goroutines, vars.Memstats.HeapInuse)
	}

	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:80", "example.com:80"} {
		var errOut bytes.Buffer
		err := serveMain(context.Background(), []string{"--addr", "127.0.0.1:0", "--debug-addr", addr}, io.Discard, &errOut, func(string) { t.Errorf("--debug-addr %s: started", addr) })
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("--debug-addr %s: %v, want a refusal naming loopback", addr, err)
		}
	}
}
