package reactor

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tlsBadServer starts a TLS echo server and one healthy TLS client that
// must keep working while a test misbehaves; check echoes through it.
func tlsBadServer(t *testing.T, s *Server) (addr string, h *echoHandler, check func()) {
	t.Helper()
	h = &echoHandler{}
	s.Handler = h
	s.TLSConfig = tlsServerConfig(t)
	a, _ := serve(t, s, "tcp", "127.0.0.1:0")
	good, err := tls.Dial("tcp", a.String(), tlsClientConf(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { good.Close() })
	check = func() {
		t.Helper()
		good.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := good.Write([]byte("still-here")); err != nil {
			t.Fatalf("healthy connection: %v", err)
		}
		b := make([]byte, 10)
		if _, err := io.ReadFull(good, b); err != nil || string(b) != "still-here" {
			t.Fatalf("healthy connection echo %q %v", b, err)
		}
	}
	check()
	return a.String(), h, check
}

// closeErrs waits until want connections closed and returns their errors.
func closeErrs(t *testing.T, h *echoHandler, want int) []error {
	t.Helper()
	waitFor(t, func() bool { _, closed, _ := h.counts(); return closed >= want })
	_, _, errs := h.counts()
	return errs
}

func TestTLSPlaintextHTTP(t *testing.T) {
	addr, h, check := tlsBadServer(t, &Server{Loops: 1})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	b, err := io.ReadAll(c) // a clean close: EOF, not a reset
	if err != nil {
		t.Fatalf("read: %v (want a clean close)", err)
	}
	if !strings.HasPrefix(string(b), "HTTP/1.0 400 Bad Request") {
		t.Errorf("answer %q, want an HTTP 400", b)
	}
	errs := closeErrs(t, h, 1)
	var rhe tls.RecordHeaderError
	if len(errs) != 1 || !errors.As(errs[0], &rhe) {
		t.Errorf("OnClose errors %v, want a tls.RecordHeaderError", errs)
	}
	check()
}

func TestTLSGarbage(t *testing.T) {
	addr, h, check := tlsBadServer(t, &Server{Loops: 1})
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		junk := make([]byte, 4096)
		rand.Read(junk)
		if i%2 == 0 {
			junk[0], junk[1], junk[2] = 22, 3, 1 // a handshake record header, then junk
		}
		c.Write(junk)
		c.(*net.TCPConn).CloseWrite()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = io.Copy(io.Discard, c)
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("read: %v", err)
		}
		c.Close()
	}
	errs := closeErrs(t, h, 20)
	if len(errs) != 20 {
		t.Errorf("%d of 20 OnClose errors: %v", len(errs), errs)
	}
	check()
}

func TestTLSTruncatedAndCorruptRecord(t *testing.T) {
	addr, h, check := tlsBadServer(t, &Server{Loops: 1})
	for _, tc := range []struct {
		name  string
		bytes []byte
		want  string
	}{
		{"truncated", []byte{23, 3, 3, 0, 100, 1, 2, 3, 4}, "unexpected EOF"},
		{"corrupt", append([]byte{23, 3, 3, 0, 64}, make([]byte, 64)...), "bad record MAC"},
		{"oversized", []byte{23, 3, 3, 0xff, 0xff, 0}, "oversized record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, before, _ := h.counts()
			raw, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			c := tls.Client(raw, tlsClientConf(t))
			if err := c.Handshake(); err != nil {
				t.Fatal(err)
			}
			raw.Write(tc.bytes)
			raw.(*net.TCPConn).CloseWrite()
			raw.SetDeadline(time.Now().Add(10 * time.Second))
			io.Copy(io.Discard, raw)
			errs := closeErrs(t, h, before+1)
			if last := errs[len(errs)-1]; !strings.Contains(last.Error(), tc.want) {
				t.Errorf("OnClose: %v, want %q", last, tc.want)
			}
		})
	}
	check()
}

// slowConn writes one byte per Write call, with a pause between.
type slowConn struct{ net.Conn }

func (s slowConn) Write(p []byte) (int, error) {
	for i := range p {
		if _, err := s.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
		time.Sleep(100 * time.Microsecond)
	}
	return len(p), nil
}

func TestTLSClientHelloByteByByte(t *testing.T) {
	addr, _, check := tlsBadServer(t, &Server{Loops: 1})
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.(*net.TCPConn).SetNoDelay(true)
	c := tls.Client(slowConn{raw}, tlsClientConf(t))
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte("slow")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "slow" {
		t.Fatalf("echo %q %v", b, err)
	}
	check()
}

// TestTLSSilentPeers connects peers that never send: they hold no
// goroutine and little memory, and the handshake timeout frees them.
func TestTLSSilentPeers(t *testing.T) {
	n := 1000
	if raceEnabled && !longRun() {
		n = 200
	}
	s := &Server{Loops: 2, TLSHandshakeTimeout: time.Second}
	addr, h, check := tlsBadServer(t, s)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapInuse
	g0 := runtime.NumGoroutine()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitFor(t, func() bool { return s.loops[0].nconns.Load()+s.loops[1].nconns.Load() >= int32(n+1) })
	runtime.GC()
	runtime.ReadMemStats(&ms)
	g1 := runtime.NumGoroutine()
	perConn := (int64(ms.HeapInuse) - int64(heap0)) / int64(n)
	t.Logf("%d silent peers: %d goroutines more, %d heap bytes each (both sides in this process)", n, g1-g0, perConn)
	if g1-g0 > 10 {
		t.Errorf("%d more goroutines for %d silent peers", g1-g0, n)
	}
	if perConn > 8<<10 {
		t.Errorf("%d heap bytes per silent peer", perConn)
	}
	check()
	errs := closeErrs(t, h, n)
	timeouts := 0
	for _, err := range errs {
		if errors.Is(err, ErrTLSHandshakeTimeout) {
			timeouts++
		}
	}
	if timeouts != n {
		t.Errorf("%d of %d closed with ErrTLSHandshakeTimeout", timeouts, n)
	}
	readBy := time.Now().Add(30 * time.Second) // generous: a loaded -race run
	for _, c := range conns {
		c.SetDeadline(readBy)
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("silent peer read %v, want EOF", err)
		}
	}
	check()
}

// TestTLSResetDuringLargeWrite resets the peer while the server has many
// megabytes of encrypted output queued.
func TestTLSResetDuringLargeWrite(t *testing.T) {
	errc := make(chan error, 1)
	big := &funcHandler{
		open: func(c *Conn) {
			chunk := make([]byte, 1<<20)
			for i := 0; i < 8; i++ { // more than loopback's socket buffers take
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		},
		close: func(c *Conn, err error) { errc <- err },
	}
	s := &Server{Handler: big, TLSConfig: tlsServerConfig(t), Loops: 1}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	raw, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(raw, tlsClientConf(t))
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	raw.(*net.TCPConn).SetLinger(0)
	raw.Close() // RST
	select {
	case err := <-errc:
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Errorf("OnClose: %v, want ECONNRESET or EPIPE", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("connection not closed after the peer's reset")
	}
	waitFor(t, func() bool { return s.loops[0].nconns.Load() == 0 })
}

// TestTLSRenegotiation asks the server to renegotiate a TLS 1.2 session
// with openssl s_client ("R"): Go servers refuse, the connection ends with
// an alert and only that connection closes.
func TestTLSRenegotiation(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	addr, h, check := tlsBadServer(t, &Server{Loops: 1})
	cmd := exec.Command("openssl", "s_client", "-connect", addr, "-tls1_2", "-legacy_renegotiation")
	cmd.Stdin = strings.NewReader("R\n")
	out, _ := cmd.CombinedOutput()
	t.Logf("openssl s_client: %s", lastLines(string(out), 4))
	errs := closeErrs(t, h, 1)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "unexpected") {
		t.Errorf("OnClose errors %v, want an unexpected-message error", errs)
	}
	if !strings.Contains(string(out), "RENEGOTIATING") {
		t.Errorf("openssl did not try to renegotiate:\n%s", out)
	}
	check()
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}
