package http1_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/proto/http1"
	"github.com/eventpoll/eventpoll/reactor"
)

// TestHandlerPanicAbortsConnection: a panicking HTTP handler aborts its
// connection; the reactor's PanicHandler gets the value and the handler's
// stack; other requests are served.
func TestHandlerPanicAbortsConnection(t *testing.T) {
	h := http1.HandlerFunc(func(w *http1.ResponseWriter, r *http1.Request) {
		if string(r.Path) == "/panic" {
			panic("handler boom")
		}
		w.WriteString("ok")
	})
	sh := http1.NewHandler(http1.Config{Handler: h})
	var mu sync.Mutex
	var got []*reactor.PanicError
	s := &reactor.Server{Handler: sh, Loops: 1, Logger: slog.New(slog.DiscardHandler),
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

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("GET /panic HTTP/1.1\r\nHost: h\r\n\r\n"))
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err == nil {
		if resp.StatusCode != 500 {
			t.Fatalf("status %d after a panic", resp.StatusCode)
		}
		io.Copy(io.Discard, resp.Body)
	}
	// The connection is gone: the next read fails.
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("connection still open after a handler panic")
	}
	mu.Lock()
	n := len(got)
	var p *reactor.PanicError
	if n > 0 {
		p = got[0]
	}
	mu.Unlock()
	if n != 1 || p.Value != "handler boom" || !bytes.Contains(p.Stack, []byte("TestHandlerPanicAbortsConnection")) {
		t.Fatalf("PanicHandler calls: %d, %v", n, p)
	}
	var pe *reactor.PanicError
	if !errors.As(error(p), &pe) || !strings.Contains(p.Error(), "handler boom") {
		t.Fatalf("error %v", p)
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d after a panic", resp.StatusCode)
	}
}
