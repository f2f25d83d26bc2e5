package http1_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/proto/http1"
)

// timeoutServers starts the same handler with the same timeouts under the
// bridge (off the loop) and under net/http.Server, so each timeout case
// checks that the bridge behaves as net/http does.
func timeoutServers(t *testing.T, h http.Handler, read, write, idle time.Duration) map[string]string {
	t.Helper()
	sh := http1.FromHTTPHandler(h)
	sh.ReadTimeout, sh.WriteTimeout, sh.IdleTimeout = read, write, idle
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadTimeout: read, WriteTimeout: write, IdleTimeout: idle}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return map[string]string{"bridge": startBridge(t, sh), "net/http": ln.Addr().String()}
}

// closedWithin reads from c until the server closes it (EOF or an error
// other than our own deadline) and returns how long that took from start;
// it fails the test if the connection is still open after limit.
func closedWithin(t *testing.T, c net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	c.SetReadDeadline(start.Add(limit))
	buf := make([]byte, 64<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("connection still open %v after start", limit)
			}
			return time.Since(start)
		}
	}
}

// TestBridgeTimeouts: ReadTimeout, WriteTimeout and IdleTimeout end a
// stalled request, a stalled reader and an idle keep-alive connection, under
// the bridge as under net/http.Server.
func TestBridgeTimeouts(t *testing.T) {
	const d = 300 * time.Millisecond
	t.Run("ReadTimeout", func(t *testing.T) {
		errs := make(chan error, 2)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			errs <- err
		})
		for name, addr := range timeoutServers(t, h, d, 0, 0) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			// Headers and 10 bytes of a 1000-byte body, then nothing.
			io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
			select {
			case err := <-errs:
				if err == nil {
					t.Fatalf("%s: the handler read a stalled body without error", name)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: the handler's body read did not end 10 s after the stall", name)
			}
			took := closedWithin(t, c, start, 10*time.Second)
			if took < d-50*time.Millisecond {
				t.Fatalf("%s: closed after %v, before ReadTimeout %v", name, took, d)
			}
			t.Logf("%s: stalled request ended after %v", name, took.Round(time.Millisecond))
		}
	})
	t.Run("WriteTimeout", func(t *testing.T) {
		errs := make(chan error, 2)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			chunk := make([]byte, 64<<10)
			var err error
			for i := 0; i < 1024 && err == nil; i++ { // up to 64 MiB
				_, err = w.Write(chunk)
			}
			errs <- err
		})
		for name, addr := range timeoutServers(t, h, 0, d, 0) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.(*net.TCPConn).SetReadBuffer(16 << 10)
			start := time.Now()
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") // and never read
			select {
			case err := <-errs:
				if err == nil {
					t.Fatalf("%s: the handler wrote 64 MiB to a peer that does not read", name)
				}
				t.Logf("%s: handler's write failed after %v: %v", name, time.Since(start).Round(time.Millisecond), err)
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: the handler's writes did not fail 10 s after the peer stopped reading", name)
			}
			closedWithin(t, c, start, 10*time.Second)
		}
	})
	t.Run("IdleTimeout", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
		for name, addr := range timeoutServers(t, h, 0, 0, d) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "ok" || strings.EqualFold(resp.Header.Get("Connection"), "close") {
				t.Fatalf("%s: %q, Connection %q; want a kept-alive ok", name, b, resp.Header.Get("Connection"))
			}
			start := time.Now()
			c.SetReadDeadline(start.Add(10 * time.Second))
			if n, err := br.Read(make([]byte, 1)); err == nil {
				t.Fatalf("%s: %d unexpected bytes on an idle connection", name, n)
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("%s: idle connection still open after 10 s", name)
			}
			took := time.Since(start)
			if took < d-50*time.Millisecond {
				t.Fatalf("%s: idle connection closed after %v, before IdleTimeout %v", name, took, d)
			}
			t.Logf("%s: idle connection closed after %v", name, took.Round(time.Millisecond))
		}
	})
}
