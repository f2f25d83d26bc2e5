package http1_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/internal/enginetest"
	"github.com/eventpoll/eventpoll/proto/http1"
	"github.com/eventpoll/eventpoll/reactor"
)

// testHandler serves the hello endpoints plus /echo (the request body back).
var testHandler = http1.HandlerFunc(func(w *http1.ResponseWriter, r *http1.Request) {
	switch string(r.Path) {
	case "/echo":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(r.Body)
	case "/stream":
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "chunk%d;", i)
			w.Flush()
		}
	default:
		http1.Hello().ServeHTTP1(w, r)
	}
})

func startServer(t *testing.T, h http1.Handler) string {
	t.Helper()
	sh := http1.NewHandler(http1.Config{Handler: h, MaxBodyBytes: 1 << 20})
	s := &reactor.Server{Handler: sh, Loops: 2, Engine: enginetest.Engine(), MaxInbound: sh.InboundLimit()}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeListener(context.Background(), ln)
	enginetest.Check(t, s)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

func get(t *testing.T, c *http.Client, method, url string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestNetHTTPClient(t *testing.T) {
	addr := startServer(t, testHandler)
	base := "http://" + addr
	var conns sync.Map
	tr := &http.Transport{MaxIdleConnsPerHost: 4, ExpectContinueTimeout: 5 * time.Second}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()

	resp, body := get(t, c, "GET", base+"/", nil)
	if resp.StatusCode != 200 || body != "Hello, World!" || resp.Header.Get("Date") == "" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("GET /: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = get(t, c, "GET", base+"/json", nil)
	if resp.StatusCode != 200 || body != `{"message":"Hello, World!"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /json: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, c, "HEAD", base+"/", nil)
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != 13 {
		t.Fatalf("HEAD: %d %q %d", resp.StatusCode, body, resp.ContentLength)
	}
	resp, _ = get(t, c, "GET", base+"/missing", nil)
	if resp.StatusCode != 404 {
		t.Fatalf("404: %d", resp.StatusCode)
	}
	payload := strings.Repeat("payload-", 20000) // 160 KB, more than one read
	_, body = get(t, c, "POST", base+"/echo", strings.NewReader(payload))
	if body != payload {
		t.Fatalf("POST echo: %d bytes", len(body))
	}
	// A body of unknown length goes chunked.
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 10; i++ {
			pw.Write([]byte(fmt.Sprintf("piece%d,", i)))
		}
		pw.Close()
	}()
	_, body = get(t, c, "PUT", base+"/echo", pr)
	if body != "piece0,piece1,piece2,piece3,piece4,piece5,piece6,piece7,piece8,piece9," {
		t.Fatalf("chunked upload: %q", body)
	}
	// Expect: 100-continue: the client waits for the interim response.
	req, _ := http.NewRequest("POST", base+"/echo", strings.NewReader("expected"))
	req.Header.Set("Expect", "100-continue")
	start := time.Now()
	r2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if string(b) != "expected" || time.Since(start) > 4*time.Second {
		t.Fatalf("100-continue: %q after %v", b, time.Since(start))
	}
	// A chunked response.
	resp, body = get(t, c, "GET", base+"/stream", nil)
	if body != "chunk0;chunk1;chunk2;" || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("stream: %q %v", body, resp.TransferEncoding)
	}
	// Too large a body: 413.
	resp, _ = get(t, c, "POST", base+"/echo", strings.NewReader(strings.Repeat("x", 2<<20)))
	if resp.StatusCode != 413 {
		t.Fatalf("large body: %d", resp.StatusCode)
	}
	// Keep-alive: many sequential requests reuse a few connections.
	tr2 := &http.Transport{MaxIdleConnsPerHost: 1}
	c2 := &http.Client{Transport: tr2, Timeout: 10 * time.Second}
	defer tr2.CloseIdleConnections()
	n := 0
	for i := 0; i < 200; i++ {
		req, _ := http.NewRequest("GET", base+"/", nil)
		trace := &connTrace{seen: &conns}
		resp, err := c2.Do(req.WithContext(trace.ctx()))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		n++
	}
	count := 0
	conns.Range(func(_, _ any) bool { count++; return true })
	if count != 1 {
		t.Fatalf("200 keep-alive requests used %d connections, want 1", count)
	}
}

func TestNetHTTPHandlerAdapter(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Name", r.PathValue("name"))
		fmt.Fprintf(w, "hello %s from %s", r.PathValue("name"), r.RemoteAddr[:strings.LastIndex(r.RemoteAddr, ":")])
	})
	addr := startServer(t, http1.FromHTTPHandler(mux))
	c := &http.Client{Timeout: 10 * time.Second}
	resp, body := get(t, c, "GET", "http://"+addr+"/hello/gopher", nil)
	if resp.StatusCode != 200 || body != "hello gopher from 127.0.0.1" || resp.Header.Get("X-Name") != "gopher" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, _ = get(t, c, "POST", "http://"+addr+"/hello/gopher", nil)
	if resp.StatusCode != 405 {
		t.Fatalf("method not allowed: %d", resp.StatusCode)
	}
}

func TestPipelinedOverTCP(t *testing.T) {
	addr := startServer(t, testHandler)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var reqs strings.Builder
	const n = 100
	for i := 0; i < n; i++ {
		fmt.Fprintf(&reqs, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%d", len(fmt.Sprint(i)), i)
	}
	go conn.Write([]byte(reqs.String()))
	br := bufio.NewReader(conn)
	for i := 0; i < n; i++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != fmt.Sprint(i) {
			t.Fatalf("response %d out of order: %q", i, b)
		}
	}
}

// connTrace records the local address of the connection each request used.
type connTrace struct{ seen *sync.Map }

func (ct *connTrace) ctx() context.Context {
	return withGotConn(context.Background(), func(local string) { ct.seen.Store(local, true) })
}

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (apt-get install %s); skipping", name, name)
	}
	return p
}

func runTool(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestCurl(t *testing.T) {
	curl := tool(t, "curl")
	addr := startServer(t, testHandler)
	base := "http://" + addr
	if out := runTool(t, 10*time.Second, curl, "-sS", base+"/"); out != "Hello, World!" {
		t.Errorf("curl /: %q", out)
	}
	if out := runTool(t, 10*time.Second, curl, "-sS", base+"/json"); out != `{"message":"Hello, World!"}` {
		t.Errorf("curl /json: %q", out)
	}
	if out := runTool(t, 10*time.Second, curl, "-sS", "--data-binary", "abc", base+"/echo"); out != "abc" {
		t.Errorf("curl POST: %q", out)
	}
	if out := runTool(t, 10*time.Second, curl, "-sS", "-H", "Transfer-Encoding: chunked", "--data-binary", "chunky", base+"/echo"); out != "chunky" {
		t.Errorf("curl chunked POST: %q", out)
	}
	// curl sends Expect: 100-continue for bodies over 1 MiB... force it on a small one.
	if out := runTool(t, 10*time.Second, curl, "-sS", "-H", "Expect: 100-continue", "--data-binary", "waited", base+"/echo"); out != "waited" {
		t.Errorf("curl expect: %q", out)
	}
	if out := runTool(t, 10*time.Second, curl, "-sS", "-I", base+"/"); !strings.Contains(out, "HTTP/1.1 200 OK") || !strings.Contains(out, "Content-Length: 13") {
		t.Errorf("curl -I: %q", out)
	}
	// HTTP/1.0: closed after the response.
	if out := runTool(t, 10*time.Second, curl, "-sS", "-0", "-i", base+"/"); !strings.Contains(out, "Connection: close") || !strings.HasSuffix(out, "Hello, World!") {
		t.Errorf("curl -0: %q", out)
	}
	// Two URLs in one invocation share the connection (keep-alive).
	out := runTool(t, 10*time.Second, curl, "-sS", "-v", base+"/", base+"/json")
	if !strings.Contains(out, "Re-using existing connection") && !strings.Contains(out, "Reusing existing") {
		t.Errorf("curl did not reuse the connection:\n%s", out)
	}
}

var wrkRequests = regexp.MustCompile(`(\d+) requests in`)

func wrkRun(t *testing.T, wrk string, args ...string) {
	t.Helper()
	out := runTool(t, 30*time.Second, wrk, args...)
	t.Logf("wrk %s\n%s", strings.Join(args, " "), out)
	if strings.Contains(out, "Socket errors") || strings.Contains(out, "Non-2xx") {
		t.Fatalf("wrk reported errors")
	}
	m := wrkRequests.FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Fatalf("wrk completed no requests")
	}
}

func TestWrk(t *testing.T) {
	wrk := tool(t, "wrk")
	addr := startServer(t, testHandler)
	wrkRun(t, wrk, "-t", "2", "-c", "64", "-d", "2s", "http://"+addr+"/")
	wrkRun(t, wrk, "-t", "2", "-c", "64", "-d", "2s", "http://"+addr+"/json")
	script := filepath.Join(t.TempDir(), "pipeline.lua")
	if err := os.WriteFile(script, []byte(pipelineLua), 0o644); err != nil {
		t.Fatal(err)
	}
	wrkRun(t, wrk, "-t", "2", "-c", "64", "-d", "2s", "-s", script, "http://"+addr+"/", "--", "16")
}

// pipelineLua makes wrk send depth requests per write (pipelining).
const pipelineLua = `
init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do r[i] = wrk.format(nil) end
  req = table.concat(r)
end
request = function() return req end
`
