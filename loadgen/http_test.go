package loadgen

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestParseHTTPHead(t *testing.T) {
	for head, want := range map[string]int{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n":               5,
		"HTTP/1.1 200\r\ncontent-length:0\r\nX: y\r\n\r\n":           0,
		"HTTP/1.0 200 OK\r\nServer: s\r\nContent-Length: 12\r\n\r\n": 12,
	} {
		if n, err := parseHTTPHead([]byte(head)); err != nil || n != want {
			t.Errorf("%q: %d, %v; want %d", head, n, err, want)
		}
	}
	for _, bad := range []string{
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
		"SSH-2.0\r\n\r\n",
	} {
		if _, err := parseHTTPHead([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Responses split at every possible point are framed the same.
func TestHTTPStreamSplits(t *testing.T) {
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
	for i := 0; i <= len(resp); i++ {
		for j := i; j <= len(resp); j++ {
			var s httpStream
			var scratch []byte
			var sizes []int
			for _, part := range []string{resp[:i], resp[i:j], resp[j:]} {
				if err := s.feed([]byte(part), &scratch, func(n int) { sizes = append(sizes, n) }); err != nil {
					t.Fatalf("split %d,%d: %v", i, j, err)
				}
			}
			if len(sizes) != 3 || sizes[0]+sizes[1]+sizes[2] != len(resp) {
				t.Fatalf("split %d,%d: sizes %v", i, j, sizes)
			}
		}
	}
}

func httpServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestHTTP(t *testing.T) { forEngines(t, testHTTP) }

func testHTTP(t *testing.T, engine string) {
	addr := httpServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "13")
		w.Write([]byte("Hello, World!"))
	})
	res, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Conns: 3, Depth: 4, Proto: "http", Requests: 600})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Msgs != 600 {
		t.Errorf("msgs %d errors %d %v", res.Msgs, res.Errors, res.ErrorSamples)
	}
}

func TestHTTPNotFound(t *testing.T) { forEngines(t, testHTTPNotFound) }

func testHTTPNotFound(t *testing.T, engine string) {
	addr := httpServer(t, http.NotFound)
	res, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Conns: 2, Proto: "http", Requests: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 2 || res.Msgs != 0 || !strings.Contains(res.ErrorSamples[0], "404") {
		t.Errorf("msgs %d errors %d %v, want 2 errors naming the 404", res.Msgs, res.Errors, res.ErrorSamples)
	}
}
