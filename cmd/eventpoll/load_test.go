package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
)

func loopbackEcho(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	return ln.Addr().String()
}

func TestLoadJSON(t *testing.T) {
	addr := loopbackEcho(t, func(c net.Conn) { io.Copy(c, c) })
	var out, errOut bytes.Buffer
	err := loadMain(context.Background(), []string{"--addr", addr, "--conns", "3", "--depth", "4", "--size", "50", "--requests", "600", "--json"}, &out, &errOut, false)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, errOut.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	for _, f := range []string{"msgs_per_sec", "mb_per_sec", "latency", "errors", "conns", "depth", "size"} {
		if _, ok := res[f]; !ok {
			t.Errorf("no %q in %s", f, out.String())
		}
	}
	if res["msgs"].(float64) != 600 || res["errors"].(float64) != 0 {
		t.Errorf("result %s", out.String())
	}
	lat := res["latency"].(map[string]any)
	for _, f := range []string{"p50_us", "p90_us", "p99_us", "p999_us", "max_us"} {
		if v, ok := lat[f].(float64); !ok || v <= 0 {
			t.Errorf("latency %s = %v", f, lat[f])
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("not quiet off a terminal: %q", errOut.String())
	}
}

func TestLoadReportsErrors(t *testing.T) {
	// Upper-cases everything: every reply differs.
	addr := loopbackEcho(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if _, err := c.Write(bytes.ToUpper(buf[:n])); err != nil {
				return
			}
		}
	})
	var out, errOut bytes.Buffer
	err := loadMain(context.Background(), []string{"--addr", addr, "--proto", "line", "--size", "40", "--requests", "10"}, &out, &errOut, false)
	if err == nil || !strings.Contains(err.Error(), "1 errors") {
		t.Errorf("err = %v, want 1 errors", err)
	}
	if !strings.Contains(out.String(), "error:") {
		t.Errorf("summary lacks the error: %s", out.String())
	}
}

func TestLoadProgressOnTerminal(t *testing.T) {
	addr := loopbackEcho(t, func(c net.Conn) { io.Copy(c, c) })
	var out, errOut bytes.Buffer
	err := loadMain(context.Background(), []string{"--addr", addr, "--duration", "1200ms"}, &out, &errOut, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "msgs/s") {
		t.Errorf("no progress line: %q", errOut.String())
	}
	if !strings.Contains(out.String(), "msgs verified") {
		t.Errorf("summary: %q", out.String())
	}
}
