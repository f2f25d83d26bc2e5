package reactor

import (
	"bytes"
	"io"
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

// TestCompletionFallbackUnderSeccomp: a Server asked for the completion
// engine where io_uring_setup fails (a seccomp filter, in a child process)
// serves on the readiness engine with epoll and says why in one log line.
func TestCompletionFallbackUnderSeccomp(t *testing.T) {
	if seccomptest.InChild() {
		t.Skip("parent only")
	}
	out := seccomptest.RunChild(t, "TestCompletionFallbackChild")
	if !strings.Contains(out, "--- PASS: TestCompletionFallbackChild") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
}

func TestCompletionFallbackChild(t *testing.T) {
	if !seccomptest.InChild() {
		t.Skip("runs in the child of TestCompletionFallbackUnderSeccomp")
	}
	if err := seccomptest.DenyIOUringSetup(); err != nil {
		t.Fatalf("installing the seccomp filter: %v", err)
	}
	for _, backend := range []string{"", "io_uring"} {
		var logs bytes.Buffer
		s := &Server{Handler: &echoHandler{}, Loops: 2, Engine: EngineCompletion, Backend: backend,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))}
		addr, stop := serve(t, s, "tcp", "127.0.0.1:0")
		c, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("echo: %q, %v", buf, err)
		}
		c.Close()
		stop()
		var fallback []string
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if strings.Contains(l, "falling back") {
				fallback = append(fallback, l)
			}
		}
		if len(fallback) != 1 || !strings.Contains(fallback[0], "engine=completion") || !strings.Contains(fallback[0], "fallback=readiness") ||
			!strings.Contains(fallback[0], "backend=epoll") || !strings.Contains(fallback[0], "operation not permitted") {
			t.Fatalf("Backend %q: want one fallback line naming the engines, epoll and EPERM; logs:\n%s", backend, logs.String())
		}
		for _, l := range s.loops {
			if l.Engine() != EngineReadiness || l.Backend() != "epoll" {
				t.Fatalf("Backend %q: loop runs %v on %q, want readiness on epoll", backend, l.Engine(), l.Backend())
			}
		}
		t.Logf("Backend %q: %s", backend, fallback[0])
	}
}

// TestCompletionFallbackTLS: TLS stays on the readiness engine, with one
// log line saying so.
func TestCompletionFallbackTLS(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{Handler: &echoHandler{}, Loops: 1, Engine: EngineCompletion, TLSConfig: tlsServerConfig(t),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l := s.loops[0]; l.Engine() != EngineReadiness {
		t.Fatalf("TLS server runs the %v engine", l.Engine())
	}
	if n := strings.Count(logs.String(), "falling back"); n != 1 || !strings.Contains(logs.String(), "TLS") {
		t.Fatalf("want one fallback line naming TLS; logs:\n%s", logs.String())
	}
}
