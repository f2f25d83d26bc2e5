package http1_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/proto/http1"
	"github.com/eventpoll/eventpoll/reactor"
)

// stdMux is the set of handlers the comparison table runs.
func stdMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Hello, World!")
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Custom", "a")
		w.Header().Add("X-Custom", "b")
		w.Header().Set("Content-Type", "text/x-teapot")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and stout")
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		for i := range 3 {
			fmt.Fprintf(w, "chunk%d;", i)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		// Read all first: net/http does not read a body while it writes.
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
	})
	mux.HandleFunc("/limit", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 10)
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "too big", http.StatusRequestEntityTooLarge)
			return
		}
		io.WriteString(w, "fits")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("0123456789abcdef", 64<<10))
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Hijacked: yes\r\nConnection: close\r\n\r\nhijacked")
		brw.Flush()
	})
	return mux
}

// startBridge serves h off the loop on a one-loop reactor.Server.
func startBridge(t testing.TB, sh *http1.StdHandler) string {
	t.Helper()
	s := &reactor.Server{Handler: sh, Loops: 1}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeListener(context.Background(), ln)
	t.Cleanup(func() {
		sh.Shutdown(context.Background())
		s.Close()
	})
	return ln.Addr().String()
}

func startStd(t testing.TB, h http.Handler) string {
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

type result struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, method, url, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	resp.Header.Del("Date")
	return result{resp.StatusCode, resp.Header, string(b)}
}

// TestBridgeMatchesNetHTTP runs the same handlers under net/http.Server and
// under FromHTTPHandler (off-loop) and compares status, headers and body.
func TestBridgeMatchesNetHTTP(t *testing.T) {
	std := "http://" + startStd(t, stdMux())
	bridge := "http://" + startBridge(t, http1.FromHTTPHandler(stdMux()))
	c := &http.Client{Timeout: 10 * time.Second}
	cases := []struct{ method, path, body string }{
		{"GET", "/hello", ""},
		{"HEAD", "/hello", ""},
		{"GET", "/missing", ""},
		{"GET", "/status", ""},
		{"GET", "/stream", ""},
		{"POST", "/echo", strings.Repeat("x", 100000)},
		{"POST", "/limit", "small"},
		{"POST", "/limit", "far too large for the limit"},
		{"GET", "/big", ""},
		{"GET", "/hijack", ""},
	}
	for _, tc := range cases {
		want := do(t, c, tc.method, std+tc.path, tc.body)
		got := do(t, c, tc.method, bridge+tc.path, tc.body)
		if got.status != want.status || got.body != want.body || fmt.Sprint(got.header) != fmt.Sprint(want.header) {
			t.Errorf("%s %s:\n bridge  %d %v %d %.60q\n net/http %d %v %d %.60q", tc.method, tc.path,
				got.status, got.header, len(got.body), got.body, want.status, want.header, len(want.body), want.body)
		}
	}
}

// TestBridgeContextCancelled: the request context ends when the client goes
// away.
func TestBridgeContextCancelled(t *testing.T) {
	started := make(chan struct{})
	done := make(chan error, 1)
	sh := http1.FromHTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			done <- r.Context().Err()
		case <-time.After(10 * time.Second):
			done <- nil
		}
	}))
	addr := startBridge(t, sh)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	<-started
	c.Close()
	if err := <-done; err == nil {
		t.Fatal("request context not cancelled after the client closed")
	}
}

// TestBridgeSlowloris: 200 peers that send a header byte every 200 ms are
// closed after ReadHeaderTimeout while another client is served.
func TestBridgeSlowloris(t *testing.T) {
	sh := http1.FromHTTPHandler(stdMux())
	sh.ReadHeaderTimeout = 500 * time.Millisecond
	addr := startBridge(t, sh)
	const peers = 200
	var closed atomic.Int32
	var wg sync.WaitGroup
	start := time.Now()
	for range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			req := "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100)
			for i := range len(req) {
				if _, err := c.Write([]byte{req[i]}); err != nil {
					closed.Add(1)
					return
				}
				c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				if _, err := c.Read(make([]byte, 512)); err != nil && !os.IsTimeout(err) {
					closed.Add(1) // the server gave up on us
					return
				}
			}
		}()
	}
	cl := &http.Client{Timeout: 5 * time.Second}
	for i := range 10 {
		t0 := time.Now()
		if r := do(t, cl, "GET", "http://"+addr+"/hello", ""); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
		if d := time.Since(t0); d > 2*time.Second {
			t.Errorf("request %d took %v among slowloris peers", i, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	if n := closed.Load(); n != peers {
		t.Fatalf("%d of %d slow peers closed by the server", n, peers)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("slow peers held on for %v", d)
	}
}

// TestBridgeStreamingUpload: a large upload is streamed to the handler, not
// buffered whole (256 MiB; 1 GiB with EVENTPOLL_LONG=1).
func TestBridgeStreamingUpload(t *testing.T) {
	size := int64(256 << 20)
	if os.Getenv("EVENTPOLL_LONG") == "1" {
		size = 1 << 30
	}
	sh := http1.FromHTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d %v", n, err)
	}))
	addr := startBridge(t, sh)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	req, _ := http.NewRequest("POST", "http://"+addr+"/", io.LimitReader(zeros{}, size))
	req.ContentLength = size
	resp, err := (&http.Client{Timeout: 120 * time.Second}).Do(req)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("%d <nil>", size); string(b) != want {
		t.Fatalf("handler saw %q, want %q", b, want)
	}
	grew := int64(peak.Load()) - int64(base)
	if grew > 64<<20 {
		t.Fatalf("heap grew by %d MiB during a %d MiB upload", grew>>20, size>>20)
	}
	t.Logf("%d MiB upload: heap in use grew by at most %.1f MiB (sampled every 20 ms)", size>>20, float64(grew)/(1<<20))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestBridgeInLoopOption: InLoop serves through the in-loop engine.
func TestBridgeInLoopOption(t *testing.T) {
	sh := http1.FromHTTPHandler(stdMux())
	sh.InLoop = true
	addr := startBridge(t, sh)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "Hello, World!" || resp.Header.Get("Server") != "eventpoll" {
		t.Fatalf("in-loop: %d %q %v", resp.StatusCode, b, resp.Header)
	}
}
