package resp

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/reactor"
)

// TestCommandPanicAbortsConnection: a command that panics (a test-only
// command standing in for a bug) aborts its connection only; the reactor's
// PanicHandler gets the value and the stack, and the server keeps serving.
func TestCommandPanicAbortsConnection(t *testing.T) {
	commandTable["debugpanic"] = &command{name: "debugpanic", arity: 1,
		fn: func(*Session, [][]byte, []byte) []byte { panic("resp boom") }}
	defer delete(commandTable, "debugpanic")

	var mu sync.Mutex
	var got []*reactor.PanicError
	h := NewHandler(Config{})
	defer h.Close()
	s := &reactor.Server{Handler: h, Loops: 1, Logger: slog.New(slog.DiscardHandler),
		PanicHandler: func(c *reactor.Conn, p *reactor.PanicError) {
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
		}}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeListener(context.Background(), ln)
	defer s.Close()

	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c, bufio.NewReader(c)
	}
	other, otherR := dial() // open before the panic, used after it
	defer other.Close()

	c, r := dial()
	defer c.Close()
	io.WriteString(c, "*1\r\n$4\r\nPING\r\n")
	if line, err := r.ReadString('\n'); err != nil || line != "+PONG\r\n" {
		t.Fatalf("reply before the panic: %q, %v", line, err)
	}
	// The abort resets the connection: replies still queued with it are lost.
	io.WriteString(c, "*1\r\n$10\r\ndebugpanic\r\n")
	if b, err := r.ReadByte(); err == nil {
		t.Fatalf("connection still open after a panicking command (read %q)", b)
	}

	mu.Lock()
	n := len(got)
	var p *reactor.PanicError
	if n > 0 {
		p = got[0]
	}
	mu.Unlock()
	if n != 1 || p.Value != "resp boom" || !bytes.Contains(p.Stack, []byte("TestCommandPanicAbortsConnection")) {
		t.Fatalf("PanicHandler calls: %d, first %v", n, p)
	}
	io.WriteString(other, "*1\r\n$4\r\nPING\r\n")
	if line, err := otherR.ReadString('\n'); err != nil || line != "+PONG\r\n" {
		t.Fatalf("another connection after the panic: %q, %v", line, err)
	}
	c2, r2 := dial()
	defer c2.Close()
	io.WriteString(c2, "*1\r\n$4\r\nPING\r\n")
	if line, err := r2.ReadString('\n'); err != nil || line != "+PONG\r\n" {
		t.Fatalf("a new connection after the panic: %q, %v", line, err)
	}
}
