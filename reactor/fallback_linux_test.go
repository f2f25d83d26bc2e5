package reactor

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/internal/seccomptest"
)

// TestBackendFallbackUnderSeccomp: a Server asked for io_uring where
// io_uring_setup fails (a seccomp filter, in a child process) serves on
// epoll and says so in one log line.
func TestBackendFallbackUnderSeccomp(t *testing.T) {
	if seccomptest.InChild() {
		t.Skip("parent only")
	}
	out := seccomptest.RunChild(t, "TestBackendFallbackChild")
	if !strings.Contains(out, "--- PASS: TestBackendFallbackChild") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
}

func TestBackendFallbackChild(t *testing.T) {
	if !seccomptest.InChild() {
		t.Skip("runs in the child of TestBackendFallbackUnderSeccomp")
	}
	if err := seccomptest.DenyIOUringSetup(); err != nil {
		t.Fatalf("installing the seccomp filter: %v", err)
	}
	var logs bytes.Buffer
	s := &Server{Handler: &echoHandler{}, Loops: 2, Backend: "io_uring",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	addr, stop := serve(t, s, "tcp", "127.0.0.1:0")
	defer stop()
	c, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := c.Read(buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var fallback []string
	for _, l := range lines {
		if strings.Contains(l, "falling back") {
			fallback = append(fallback, l)
		}
	}
	if len(fallback) != 1 || !strings.Contains(fallback[0], "backend=io_uring") || !strings.Contains(fallback[0], "fallback=epoll") || !strings.Contains(fallback[0], "operation not permitted") {
		t.Fatalf("want one fallback line naming io_uring, epoll and EPERM; logs:\n%s", logs.String())
	}
	for _, l := range s.loops {
		if l.Backend() != "epoll" {
			t.Fatalf("loop backend %q, want epoll", l.Backend())
		}
	}
	t.Logf("%s", fallback[0])
}
