package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHelpExitsZero: -h on every command prints its flags and exits 0.
func TestHelpExitsZero(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(testExe(t), c.name, "-h")
			cmd.Env = append(cmd.Environ(), "EVENTPOLL_TEST_MAIN=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s -h: %v\n%s", c.name, err, out)
			}
			if !strings.Contains(string(out), "Usage of "+c.name) {
				t.Fatalf("%s -h printed no usage:\n%s", c.name, out)
			}
		})
	}
}

// serveRefused runs serve with args and returns its error, failing if the
// server started (printed its banner).
func serveRefused(t *testing.T, args ...string) error {
	t.Helper()
	var errOut bytes.Buffer
	err := serveMain(context.Background(), args, io.Discard, &errOut, func(string) { t.Errorf("%v: started", args) })
	if err == nil {
		t.Fatalf("%v: no error", args)
	}
	if strings.Contains(errOut.String(), "eventpoll serve:") {
		t.Fatalf("%v: banner printed before the refusal:\n%s", args, errOut.String())
	}
	return err
}

// TestServeRefusesNonPositive: zero or negative loops, read buffer and
// timeouts are refused with a message naming the flag.
func TestServeRefusesNonPositive(t *testing.T) {
	for _, args := range [][]string{
		{"--loops", "0"}, {"--loops", "-2"},
		{"--read-buffer", "0"}, {"--read-buffer", "-1"},
		{"--idle-timeout", "0"}, {"--idle-timeout", "-1s"},
		{"--shutdown-timeout", "0s"},
	} {
		err := serveRefused(t, append(args, "--addr", "127.0.0.1:0")...)
		if !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: error %q does not name the flag", args, err)
		}
	}
}

// TestListenErrorsNameAddress: a failing listen says which address or path.
func TestListenErrorsNameAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	err = serveRefused(t, "--addr", addr)
	if want := "listen tcp " + addr + ": address already in use"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
	path := filepath.Join(t.TempDir(), "missing", "sock")
	err = serveRefused(t, "--network", "unix", "--addr", path)
	if !strings.Contains(err.Error(), "listen unix "+path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

// TestServeUDP: --network udp serves echo (each datagram comes back) and is
// refused, before the banner, for the stream protocols.
func TestServeUDP(t *testing.T) {
	addr, _, _ := startServe(t, "--network", "udp", "--addr", "127.0.0.1:0")
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("datagram")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "datagram" {
		t.Fatalf("echo: %q %v", buf[:n], err)
	}
	for _, proto := range []string{"resp", "http", "print"} {
		serveRefused(t, "--network", "udp", "--proto", proto, "--addr", "127.0.0.1:0")
	}
	serveRefused(t, "--network", "sctp", "--addr", "127.0.0.1:0")
}

// TestLoadRefusesZero: --conns, --depth and --size of 0 are refused instead
// of being raised silently.
func TestLoadRefusesZero(t *testing.T) {
	for _, flag := range []string{"--conns", "--depth", "--size"} {
		err := loadMain(context.Background(), []string{flag, "0", "--requests", "1", "--addr", "127.0.0.1:1"}, io.Discard, io.Discard, false)
		if err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%s 0: error %v, want one naming the flag", flag, err)
		}
	}
}

// TestScaleUnknownBackend: an unknown --backends name is an error.
func TestScaleUnknownBackend(t *testing.T) {
	err := scaleMain([]string{"--backends", "epoll,kqueuex", "--fds", "10"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "kqueuex") {
		t.Fatalf("error %v, want one naming kqueuex", err)
	}
}

// TestServeHTTPSlowloris: serve --proto http, with no flags, closes a peer
// that trickles a request head (http1.DefaultReadTimeout, 10 s), while
// the peer's bytes keep resetting any idle timer.
func TestServeHTTPSlowloris(t *testing.T) {
	t.Parallel()
	addr, _, _ := startServe(t, "--proto", "http", "--addr", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	go func() {
		c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
		for time.Since(start) < 20*time.Second {
			if _, err := c.Write([]byte("X-A: b\r\n")); err != nil {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := c.Read(make([]byte, 1))
	if err == nil || n > 0 {
		t.Fatalf("read %d bytes, %v: want the connection closed", n, err)
	}
	if d := time.Since(start); d < 9*time.Second || d > 15*time.Second {
		t.Fatalf("closed after %v (%v), want about 10s", d, err)
	}
}
