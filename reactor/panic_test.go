package reactor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// panicHandler panics in the callback named by the first byte a client
// sends: 'o' OnOpen (for the next connection), 'd' OnData, 'w' OnWritable,
// 'h' OnReadHangup, 'c' OnClose; other bytes are echoed.
type panicHandler struct {
	mu       sync.Mutex
	openNext bool
	closeErr chan error
	queued   chan int // 'w': the output still queued after OnData returned
}

var errBoom = errors.New("boom")

func (h *panicHandler) OnOpen(c *Conn) {
	h.mu.Lock()
	p := h.openNext
	h.openNext = false
	h.mu.Unlock()
	if p {
		panic("panic in OnOpen")
	}
}

func (h *panicHandler) OnData(c *Conn) {
	b := c.Next(-1)
	switch b[0] {
	case 'd':
		panic(errBoom)
	case 'w':
		// Pass the high-water mark so that OnWritable follows once the
		// client reads.
		c.SetContext("w")
		c.Write(bytes.Repeat([]byte("x"), 16<<20))
		// Runs after this iteration has flushed what the socket takes.
		c.Loop().Submit(func() {
			if h.queued != nil {
				h.queued <- c.OutboundBuffered()
			}
		})
	case 'c':
		c.SetContext("c")
		c.Close()
	case 'h':
		c.SetContext("h")
	default:
		c.Write(b)
	}
}

func (h *panicHandler) OnWritable(c *Conn) {
	if c.Context() == "w" {
		panic("panic in OnWritable")
	}
}

func (h *panicHandler) OnReadHangup(c *Conn) {
	if c.Context() == "h" {
		panic("panic in OnReadHangup")
	}
	c.Close()
}

func (h *panicHandler) OnClose(c *Conn, err error) {
	if c.Context() == "c" {
		c.SetContext(nil)
		h.closeErr <- err
		panic("panic in OnClose")
	}
	h.closeErr <- err
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPanicRecovered panics in every callback and checks that the
// connection is aborted, OnClose and the logger get a *PanicError with the
// value and stack, and the server keeps serving.
func TestPanicRecovered(t *testing.T) {
	cases := []struct {
		name, send string
		value      string // in the PanicError and the log
		inOnClose  bool   // the panic happens in OnClose: it gets nil
	}{
		{"OnOpen", "", "panic in OnOpen", false},
		{"OnData", "d", "boom", false},
		{"OnWritable", "w", "panic in OnWritable", false},
		{"OnReadHangup", "h", "panic in OnReadHangup", false},
		{"OnClose", "c", "panic in OnClose", true},
	}
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					h := &panicHandler{closeErr: make(chan error, 4), queued: make(chan int, 1)}
					var logs logBuffer
					s := &Server{Handler: h, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine,
						WriteHighWater: 1 << 10, WriteLowWater: 512,
						Logger: slog.New(slog.NewTextHandler(&logs, nil))}
					addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
					if tc.name == "OnOpen" {
						h.mu.Lock()
						h.openNext = true
						h.mu.Unlock()
					}
					c, err := net.Dial("tcp", addr.String())
					if err != nil {
						if tc.name != "OnOpen" {
							t.Fatal(err)
						}
						// The reset may beat the end of the client's connect.
						c, _ = net.Pipe()
					}
					defer c.Close()
					c.SetDeadline(time.Now().Add(10 * time.Second))
					if tc.send != "" {
						if _, err := c.Write([]byte(tc.send)); err != nil {
							t.Fatal(err)
						}
					}
					switch tc.send {
					case "w":
						// Read only once the server has queued past the
						// high-water mark (a client that reads at once may
						// take it all before the connection is paused), then
						// read it all so that the output drains.
						select {
						case q := <-h.queued:
							if q <= s.WriteHighWater {
								t.Fatalf("only %d bytes queued after OnData, want more than the high-water mark %d", q, s.WriteHighWater)
							}
						case <-time.After(10 * time.Second):
							t.Fatal("OnData did not run")
						}
						n, err := io.Copy(io.Discard, c)
						t.Logf("client read %d bytes: %v", n, err)
					case "h":
						time.Sleep(20 * time.Millisecond)
						c.(*net.TCPConn).CloseWrite()
					}
					var got error
					select {
					case got = <-h.closeErr:
					case <-time.After(10 * time.Second):
						t.Fatal("OnClose not called")
					}
					if tc.inOnClose {
						if got != nil {
							t.Fatalf("OnClose err = %v, want nil", got)
						}
					} else {
						var pe *PanicError
						if !errors.As(got, &pe) {
							t.Fatalf("OnClose err = %v (%T), want *PanicError", got, got)
						}
						if !strings.Contains(pe.Error(), tc.value) || !bytes.Contains(pe.Stack, []byte("panicHandler")) {
							t.Fatalf("PanicError %q, stack:\n%s", pe.Error(), pe.Stack)
						}
						if tc.send == "d" && !errors.Is(got, errBoom) {
							t.Fatalf("errors.Is(%v, errBoom) = false", got)
						}
						// Aborted: the client sees a reset or EOF, not data.
						if _, ok := c.(*net.TCPConn); !ok {
						} else if n, _ := c.Read(make([]byte, 1)); n != 0 && tc.send != "w" {
							t.Fatalf("read %d bytes from an aborted connection", n)
						}
					}
					deadline := time.Now().Add(5 * time.Second)
					for !strings.Contains(logs.String(), tc.value) && time.Now().Before(deadline) {
						time.Sleep(5 * time.Millisecond)
					}
					if l := logs.String(); !strings.Contains(l, "recovered panic") || !strings.Contains(l, tc.value) || !strings.Contains(l, "stack=") {
						t.Fatalf("log lacks the panic:\n%s", l)
					}
					// The server still serves.
					c2, err := net.Dial("tcp", addr.String())
					if err != nil {
						t.Fatal(err)
					}
					defer c2.Close()
					c2.SetDeadline(time.Now().Add(10 * time.Second))
					c2.Write([]byte("ping"))
					buf := make([]byte, 4)
					if _, err := io.ReadFull(c2, buf); err != nil || string(buf) != "ping" {
						t.Fatalf("echo after panic: %q %v", buf, err)
					}
				})
			}
		})
	}
}

// TestPanicLoopCallbacks: panics in Submit functions and AfterFunc timers
// are recovered and logged; the loop keeps running.
func TestPanicLoopCallbacks(t *testing.T) {
	var logs logBuffer
	s := &Server{Handler: &echoHandler{}, Loops: 1, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := s.Loop()
	l.Submit(func() { panic("in Submit") })
	l.Submit(func() { l.AfterFunc(time.Millisecond, func() { panic("in AfterFunc") }) })
	done := make(chan struct{})
	l.Submit(func() { l.AfterFunc(20*time.Millisecond, func() { close(done) }) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("loop stopped after a panic")
	}
	for _, v := range []string{"in Submit", "in AfterFunc"} {
		if !strings.Contains(logs.String(), v) {
			t.Errorf("log lacks %q:\n%s", v, logs.String())
		}
	}
}

// TestPanicHandlerOverride: Server.PanicHandler gets the connection and the
// PanicError instead of the logger.
func TestPanicHandlerOverride(t *testing.T) {
	var logs logBuffer
	got := make(chan *PanicError, 1)
	h := &panicHandler{closeErr: make(chan error, 4)}
	s := &Server{Handler: h, Loops: 1, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		PanicHandler: func(c *Conn, p *PanicError) {
			if c == nil {
				t.Error("PanicHandler: nil Conn for a connection's panic")
			}
			got <- p
		}}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("d"))
	select {
	case p := <-got:
		if !errors.Is(p, errBoom) {
			t.Fatalf("PanicHandler got %v", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("PanicHandler not called")
	}
	if err := <-h.closeErr; !errors.Is(err, errBoom) {
		t.Fatalf("OnClose err = %v", err)
	}
	if strings.Contains(logs.String(), "recovered panic") {
		t.Fatalf("logged despite PanicHandler:\n%s", logs.String())
	}
}

// TestCrashOnPanic runs a server with CrashOnPanic in a child process and
// checks that a panicking handler ends it with the panic's message.
func TestCrashOnPanic(t *testing.T) {
	if os.Getenv("REACTOR_CRASH_CHILD") == "1" {
		h := &panicHandler{closeErr: make(chan error, 4)}
		s := &Server{Handler: h, Loops: 1, CrashOnPanic: true}
		ln, err := s.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			os.Exit(3)
		}
		go s.ServeListener(context.Background(), ln)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			os.Exit(3)
		}
		c.Write([]byte("d"))
		time.Sleep(10 * time.Second)
		os.Exit(0) // not reached when the panic crashes the process
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashOnPanic$")
	cmd.Env = append(os.Environ(), "REACTOR_CRASH_CHILD=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !bytes.Contains(out, []byte("panic: boom")) {
		t.Fatalf("child: err %v, output:\n%s", err, out)
	}
}

type nopHandler struct{ n int }

func (h *nopHandler) OnOpen(c *Conn)             {}
func (h *nopHandler) OnData(c *Conn)             { h.n++ }
func (h *nopHandler) OnClose(c *Conn, err error) {}

// BenchmarkCallbackGuard measures what the panic guard adds to a callback:
// a direct OnData call against one under the deferred recover.
func BenchmarkCallbackGuard(b *testing.B) {
	h := &nopHandler{}
	l := &Loop{cfg: &config{}}
	c := &Conn{l: l, handler: h}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			c.handler.OnData(c)
		}
	})
	b.Run("guarded", func(b *testing.B) {
		for b.Loop() {
			l.callData(c)
		}
	})
}
