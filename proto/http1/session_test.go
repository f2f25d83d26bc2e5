package http1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"testing"
	"time"
)

var fixedClock = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }

const fixedDate = "Sun, 22 Nov 2026 10:00:00 GMT"

// echoHandler answers with a description of the request.
var echoHandler = HandlerFunc(func(w *ResponseWriter, r *Request) {
	switch string(r.Path) {
	case "/flush":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteString("part1;")
		w.Flush()
		w.WriteString("part2;")
		w.Flush()
		w.WriteString("part3")
		return
	case "/panic":
		panic("boom")
	case "/nocontent":
		w.WriteHeader(204)
		return
	case "/close":
		w.Header().Set("Connection", "close")
	}
	fmt.Fprintf(w, "%s %s q=%s v=1.%d host=%s cl=%d body=%s x=%s",
		r.Method, r.Path, r.Query, r.ProtoMinor, r.Host, r.ContentLength, r.Body, r.Header.Get("x-test"))
})

func newTestSession(h Handler) *Session {
	s := NewSession(Config{Handler: h, MaxHeaderBytes: 512, MaxHeaders: 8, MaxBodyBytes: 64})
	s.clock = fixedClock
	return s
}

// feed runs chunks through s the way a transport does.
func feed(s *Session, chunks ...[]byte) (out []byte, pending int, closed bool) {
	var buf []byte
	for _, c := range chunks {
		buf = append(buf, c...)
		var n int
		n, out, closed = s.Process(buf, out)
		buf = buf[n:]
		if closed {
			return out, len(buf), true
		}
	}
	return out, len(buf), false
}

// readResponses parses out with net/http's client-side reader.
func readResponses(t *testing.T, out []byte, methods ...string) []string {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(out))
	var got []string
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("response %d: %v in %q", len(got), err, out)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("response %d body: %v in %q", len(got), err, out)
		}
		got = append(got, fmt.Sprintf("%d %s", resp.StatusCode, body))
	}
	if br.Buffered() != 0 {
		rest, _ := io.ReadAll(br)
		t.Fatalf("trailing bytes after responses: %q", rest)
	}
	return got
}

func TestPlainResponseBytes(t *testing.T) {
	s := newTestSession(Hello())
	out, pending, closed := feed(s, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	want := "HTTP/1.1 200 OK\r\nServer: eventpoll\r\nDate: " + fixedDate + "\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!"
	if string(out) != want || pending != 0 || closed {
		t.Fatalf("got %q (pending %d closed %v)\nwant %q", out, pending, closed, want)
	}
	out, _, _ = feed(s, []byte("GET /json HTTP/1.1\r\nHost: x\r\n\r\n"))
	if !bytes.HasSuffix(out, []byte("\r\nContent-Type: application/json\r\n\r\n{\"message\":\"Hello, World!\"}")) {
		t.Fatalf("json: %q", out)
	}
}

func TestPipelineInOrder(t *testing.T) {
	s := newTestSession(echoHandler)
	in := "GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Test: one\r\n\r\n" +
		"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" +
		"\r\n" + // a stray blank line between requests is ignored
		"PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n" +
		"HEAD /d HTTP/1.1\r\nHost: h\r\n\r\n" +
		"GET /flush HTTP/1.1\r\nHost: h\r\n\r\n" +
		"GET /nocontent HTTP/1.1\r\nHost: h\r\n\r\n" +
		"GET /e HTTP/1.1\r\nhost: h\r\n\r\n" +
		"GET http://h/abs?y=2 HTTP/1.1\r\nHost: h\r\n\r\n"
	out, pending, closed := feed(s, []byte(in))
	if pending != 0 || closed {
		t.Fatalf("pending %d closed %v", pending, closed)
	}
	got := readResponses(t, out, "GET", "POST", "PUT", "HEAD", "GET", "GET", "GET", "GET")
	want := []string{
		"200 GET /a q=x=1 v=1.1 host=h cl=0 body= x=one",
		"200 POST /b q= v=1.1 host=h cl=5 body=hello x=",
		"200 PUT /c q= v=1.1 host=h cl=-1 body=abcde x=",
		"200 ",
		"200 part1;part2;part3",
		"204 ",
		"200 GET /e q= v=1.1 host=h cl=0 body= x=",
		"200 GET /abs q=y=2 v=1.1 host=h cl=0 body= x=",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !bytes.Contains(out, []byte("Transfer-Encoding: chunked\r\n")) || !bytes.Contains(out, []byte("6\r\npart1;\r\n")) {
		t.Fatalf("flush did not chunk: %q", out)
	}
	// HEAD carries the GET's length but no body.
	if !bytes.Contains(out, []byte("Content-Length: 37\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHTTP/1.1 200 OK")) {
		t.Fatalf("HEAD response: %q", out)
	}
}

func TestSplitAtEveryByte(t *testing.T) {
	in := []byte("POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello" +
		"PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n" +
		"\n\nGET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" +
		"GET /flush HTTP/1.1\r\nHost: h\r\n\r\n" +
		"GET /close HTTP/1.1\r\nHost: h\r\n\r\n" +
		"GET /after-close HTTP/1.1\r\nHost: h\r\n\r\n")
	strip := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("HTTP/1.1 100 Continue\r\n\r\n"), nil) }
	whole, _, closed := feed(newTestSession(echoHandler), in)
	if !closed || bytes.Contains(whole, []byte("100 Continue")) || bytes.Contains(whole, []byte("after-close")) {
		t.Fatalf("whole: closed %v %q", closed, whole)
	}
	readResponses(t, whole, "POST", "PUT", "GET", "GET", "GET")
	for i := 0; i <= len(in); i++ {
		got, _, closed := feed(newTestSession(echoHandler), in[:i], in[i:])
		if !bytes.Equal(strip(got), whole) || !closed {
			t.Fatalf("split at %d:\n got %q\nwant %q", i, got, whole)
		}
	}
	chunks := make([][]byte, len(in))
	for i := range in {
		chunks[i] = in[i : i+1]
	}
	got, _, _ := feed(newTestSession(echoHandler), chunks...)
	if !bytes.Equal(strip(got), whole) {
		t.Fatalf("byte by byte: %q", got)
	}
	if c := bytes.Count(got, []byte("100 Continue")); c != 1 {
		t.Fatalf("byte by byte sent %d 100 Continue, want 1", c)
	}
	r := rand.New(rand.NewSource(1))
	for k := 0; k < 300; k++ {
		i := r.Intn(len(in) + 1)
		j := i + r.Intn(len(in)-i+1)
		if got, _, _ := feed(newTestSession(echoHandler), in[:i], in[i:j], in[j:]); !bytes.Equal(strip(got), whole) {
			t.Fatalf("split at %d,%d differs", i, j)
		}
	}
}

func TestExpectContinue(t *testing.T) {
	s := newTestSession(echoHandler)
	out, pending, _ := feed(s, []byte("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"))
	if string(out) != "HTTP/1.1 100 Continue\r\n\r\n" || pending == 0 {
		t.Fatalf("got %q pending %d", out, pending)
	}
	// A body over the limit gets 413 instead of 100 Continue.
	s = newTestSession(echoHandler)
	out, _, closed := feed(s, []byte("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\nExpect: 100-continue\r\n\r\n"))
	if !closed || !bytes.HasPrefix(out, []byte("HTTP/1.1 413 ")) {
		t.Fatalf("got %q", out)
	}
}

func TestKeepAliveRules(t *testing.T) {
	cases := []struct {
		in        string
		closed    bool
		connValue string
	}{
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", false, ""},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", true, "close"},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, Close\r\n\r\n", true, "close"},
		{"GET / HTTP/1.0\r\n\r\n", true, "close"},
		{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", false, "keep-alive"},
		{"GET /close HTTP/1.1\r\nHost: h\r\n\r\n", true, "close"},
	}
	for _, c := range cases {
		out, _, closed := feed(newTestSession(echoHandler), []byte(c.in))
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		hasConn := bytes.Contains(out, []byte("\r\nConnection: "+c.connValue+"\r\n"))
		if c.connValue == "" {
			hasConn = !bytes.Contains(out, []byte("\r\nConnection:"))
		}
		if closed != c.closed || resp.Close != c.closed || !hasConn {
			t.Errorf("%q: closed %v (resp.Close %v), want %v, Connection %q; out %q", c.in, closed, resp.Close, c.closed, c.connValue, out)
		}
	}
	// HTTP/1.0 and Flush: the body is delimited by the close.
	out, _, closed := feed(newTestSession(echoHandler), []byte("GET /flush HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
	if !closed || bytes.Contains(out, []byte("chunked")) || !bytes.HasSuffix(out, []byte("\r\n\r\npart1;part2;part3")) {
		t.Fatalf("1.0 flush: closed %v %q", closed, out)
	}
}

func TestErrors(t *testing.T) {
	big := strings.Repeat("a", 600)
	cases := []struct {
		in     string
		status int
	}{
		{"GET / HTTP/1.1\r\nHost: h\r\nX: " + big + "\r\n\r\n", 431},
		{"GET /" + big, 431},
		{"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\nG: 1\r\nH: 1\r\n\r\n", 431},
		{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\n\r\n", 413},
		{"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n", 413},
		{"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + strings.Repeat("x", 32) + "\r\n21\r\n", 413},
		{"GET / HTTP/1.1\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"GET /\r\n\r\n", 400},
		{"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
		{"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
		{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
		{"GET / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n", 417},
		{"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /panic HTTP/1.1\r\nHost: h\r\n\r\n", 500},
	}
	for _, c := range cases {
		out, _, closed := feed(newTestSession(echoHandler), []byte(c.in))
		if !closed {
			t.Errorf("%.60q: not closed; out %q", c.in, out)
			continue
		}
		br := bufio.NewReader(bytes.NewReader(out))
		var resp *http.Response
		var err error
		for {
			resp, err = http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%.60q: %v in %q", c.in, err, out)
			}
			io.Copy(io.Discard, resp.Body)
			if br.Buffered() == 0 {
				break
			}
		}
		if resp.StatusCode != c.status || !resp.Close {
			t.Errorf("%.60q: status %d close %v, want %d", c.in, resp.StatusCode, resp.Close, c.status)
		}
	}
}

func TestFromHTTPHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hi", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		fmt.Fprintf(w, "host=%s q=%s ua=%s body=%s proto=%s te=%v", r.Host, r.URL.Query().Get("a"), r.UserAgent(), body, r.Proto, r.TransferEncoding)
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>one"))
		w.(http.Flusher).Flush()
		w.Write([]byte("two"))
	})
	s := newTestSession(FromHTTPHandler(mux))
	in := "POST /hi?a=b HTTP/1.1\r\nHost: example\r\nUser-Agent: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n" +
		"GET /stream HTTP/1.1\r\nHost: example\r\n\r\n" +
		"GET /nothing HTTP/1.1\r\nHost: example\r\n\r\n"
	out, _, _ := feed(s, []byte(in))
	got := readResponses(t, out, "POST", "GET", "GET")
	want := "200 host=example q=b ua=t body=xy proto=HTTP/1.1 te=[chunked]|200 <html>onetwo|404 404 page not found\n"
	if strings.Join(got, "|") != want {
		t.Fatalf("got %q\nwant %q", strings.Join(got, "|"), want)
	}
	if !bytes.Contains(out, []byte("X-Method: POST\r\n")) || !bytes.Contains(out, []byte("Content-Type: text/html; charset=utf-8\r\n")) {
		t.Fatalf("headers: %q", out)
	}
}

func TestDateCache(t *testing.T) {
	a := appendDate(nil, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if string(a) != "Fri, 02 Jan 2026 03:04:05 GMT" {
		t.Fatalf("got %q", a)
	}
	if _, err := http.ParseTime(string(appendDate(nil, time.Now()))); err != nil {
		t.Fatal(err)
	}
}
