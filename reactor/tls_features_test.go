package reactor

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/internal/selfsign"
)

// tlsEcho dials addr with cfg, echoes msg once and returns the client's
// connection state.
func tlsEcho(t *testing.T, addr string, cfg *tls.Config, msg string) tls.ConnectionState {
	t.Helper()
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("tls.Dial: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("echo: %q %v", got, err)
	}
	return c.ConnectionState()
}

// stateHandler echoes and records each connection's TLS state at OnOpen.
type stateHandler struct {
	echoHandler
	mu     sync.Mutex
	states []tls.ConnectionState
}

func (h *stateHandler) OnOpen(c *Conn) {
	st, ok := c.TLSConnectionState()
	if !ok {
		panic("no TLS state")
	}
	h.mu.Lock()
	h.states = append(h.states, st)
	h.mu.Unlock()
	h.echoHandler.OnOpen(c)
}

func (h *stateHandler) last() tls.ConnectionState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.states[len(h.states)-1]
}

func TestTLSALPNAndSNI(t *testing.T) {
	h := &stateHandler{}
	var sni string
	var mu sync.Mutex
	cert := tlsTestCert(t).TLS
	cfg := &tls.Config{
		NextProtos: []string{"h2", "x-echo"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			mu.Lock()
			sni = hello.ServerName
			mu.Unlock()
			return &cert, nil
		},
	}
	addr, _ := serve(t, &Server{Handler: h, TLSConfig: cfg, Loops: 1}, "tcp", "127.0.0.1:0")
	cc := tlsClientConf(t)
	cc.NextProtos = []string{"x-echo"}
	st := tlsEcho(t, addr.String(), cc, "alpn")
	if st.NegotiatedProtocol != "x-echo" || h.last().NegotiatedProtocol != "x-echo" {
		t.Errorf("ALPN: client %q server %q, want x-echo", st.NegotiatedProtocol, h.last().NegotiatedProtocol)
	}
	mu.Lock()
	defer mu.Unlock()
	if sni != "localhost" || h.last().ServerName != "localhost" {
		t.Errorf("SNI seen by GetCertificate %q, state %q; want localhost", sni, h.last().ServerName)
	}
}

func TestTLSResumption(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			h := &stateHandler{}
			addr, _ := serve(t, &Server{Handler: h, TLSConfig: tlsServerConfig(t), Loops: 1}, "tcp", "127.0.0.1:0")
			cc := tlsClientConf(t)
			cc.MaxVersion = v
			cc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			if st := tlsEcho(t, addr.String(), cc, "one"); st.DidResume {
				t.Fatal("first connection resumed")
			}
			st := tlsEcho(t, addr.String(), cc, "two")
			if !st.DidResume || !h.last().DidResume {
				t.Errorf("second connection: client resumed %v, server %v", st.DidResume, h.last().DidResume)
			}
			if st.Version != v {
				t.Errorf("version %x", st.Version)
			}
		})
	}
}

func TestTLSClientCertificate(t *testing.T) {
	clientCert, err := selfsign.New("client")
	if err != nil {
		t.Fatal(err)
	}
	h := &stateHandler{}
	cfg := tlsServerConfig(t)
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = clientCert.Pool()
	addr, _ := serve(t, &Server{Handler: h, TLSConfig: cfg, Loops: 1}, "tcp", "127.0.0.1:0")
	cc := tlsClientConf(t)
	cc.Certificates = []tls.Certificate{clientCert.TLS}
	tlsEcho(t, addr.String(), cc, "cert")
	if pc := h.last().PeerCertificates; len(pc) != 1 || pc[0].Subject.CommonName != "client" {
		t.Errorf("server saw peer certificates %v", pc)
	}

	// Without a certificate the handshake fails on both sides.
	c, err := tls.Dial("tcp", addr.String(), tlsClientConf(t))
	if err == nil {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1)) // TLS 1.3: the client learns it from the alert
		c.Close()
	}
	if err == nil {
		t.Fatal("handshake without a client certificate succeeded")
	}
	waitFor(t, func() bool { _, closed, errs := h.counts(); return closed >= 2 && len(errs) >= 1 })
	_, _, errs := h.counts()
	if !bytes.Contains([]byte(errs[0].Error()), []byte("certificate")) {
		t.Errorf("OnClose error %v, want a certificate error", errs[0])
	}
}

// recordingConn keeps every byte read through it.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	got []byte
}

func (r *recordingConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.got = append(r.got, p[:n]...)
	r.mu.Unlock()
	return n, err
}

// lastRecordType returns the type of the last complete record in b.
func lastRecordType(b []byte) byte {
	var typ byte
	for len(b) >= 5 {
		n := 5 + (int(b[3])<<8 | int(b[4]))
		if len(b) < n {
			break
		}
		typ = b[0]
		b = b[n:]
	}
	return typ
}

// TestTLSCloseNotify checks that Close sends close_notify before the FIN,
// and that the peer's close_notify ends the connection like a FIN.
func TestTLSCloseNotify(t *testing.T) {
	closing := &funcHandler{data: func(c *Conn) { c.Write(c.Next(-1)); c.Close() }}
	done := make(chan error, 1)
	closing.close = func(c *Conn, err error) { done <- err }
	addr, _ := serve(t, &Server{Handler: closing, TLSConfig: tlsServerConfig(t), Loops: 1}, "tcp", "127.0.0.1:0")
	raw, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	rc := &recordingConn{Conn: raw}
	cc := tlsClientConf(t)
	cc.MaxVersion = tls.VersionTLS12 // record types are visible
	c := tls.Client(rc, cc)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("bye"))
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "bye" {
		t.Fatalf("read %q, %v; want bye then EOF", b, err)
	}
	rc.mu.Lock()
	typ := lastRecordType(rc.got)
	rc.mu.Unlock()
	if typ != 21 {
		t.Errorf("last record type %d, want 21 (alert: close_notify)", typ)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Errorf("OnClose: %v", err)
	}

	// The client's close_notify: the server answers with its own and closes.
	h := &echoHandler{}
	addr2, _ := serve(t, &Server{Handler: h, TLSConfig: tlsServerConfig(t), Loops: 1}, "tcp", "127.0.0.1:0")
	c2, err := tls.Dial("tcp", addr2.String(), tlsClientConf(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(10 * time.Second))
	c2.Write([]byte("x"))
	c2.CloseWrite()
	if b, err := io.ReadAll(c2); err != nil || string(b) != "x" {
		t.Errorf("after CloseWrite read %q, %v", b, err)
	}
	waitFor(t, func() bool { _, closed, _ := h.counts(); return closed == 1 })
	if _, _, errs := h.counts(); len(errs) != 0 {
		t.Errorf("OnClose: %v", errs)
	}
}

// waitFor polls cond for up to 30 s (generous for loaded -race runs).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var _ = errors.Is

// TestTLSConfigCallbackPanic: a panic in a tls.Config callback, which runs
// on the handshake goroutine, fails that handshake only.
func TestTLSConfigCallbackPanic(t *testing.T) {
	h := &echoHandler{}
	cert := tlsTestCert(t).TLS
	cfg := &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if hello.ServerName == "boom" {
			panic("certificate lookup failed")
		}
		return &cert, nil
	}}
	addr, _ := serve(t, &Server{Handler: h, TLSConfig: cfg, Loops: 1}, "tcp", "127.0.0.1:0")
	bad := tlsClientConf(t)
	bad.ServerName = "boom"
	if c, err := tls.Dial("tcp", addr.String(), bad); err == nil {
		c.Close()
		t.Fatal("handshake succeeded")
	}
	errs := closeErrs(t, h, 1)
	var pe *PanicError
	if len(errs) != 1 || !errors.As(errs[0], &pe) || pe.Value != "certificate lookup failed" {
		t.Fatalf("OnClose errors %v, want a *PanicError", errs)
	}
	tlsEcho(t, addr.String(), tlsClientConf(t), "after the panic")
}

// TestTLSDialEarlyWriteAndBadCert: Loop.Dial returns before the handshake,
// and what is written meanwhile is encrypted and sent once it finishes; a
// server whose certificate the client does not trust fails DialContext.
func TestTLSDialEarlyWriteAndBadCert(t *testing.T) {
	srv := &Server{Handler: &echoHandler{}, TLSConfig: tlsServerConfig(t), Loops: 1}
	addr, _ := serve(t, srv, "tcp", "127.0.0.1:0")
	got := make(chan string, 1)
	opened := make(chan bool, 1)
	ch := &funcHandler{
		open: func(c *Conn) { opened <- c.Buffered() == 0 },
		data: func(c *Conn) {
			if c.Buffered() >= 11 {
				got <- string(c.Next(-1))
			}
		},
	}
	cli := &Server{Handler: ch, TLSClientConfig: tlsClientConf(t), Loops: 1}
	defer cli.Close()
	l := cli.Loop()
	errc := make(chan error, 1)
	l.Submit(func() {
		c, err := l.Dial("tcp", addr.String(), nil)
		if err == nil {
			_, err = c.Write([]byte("early write"))
		}
		errc <- err
	})
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	<-opened
	select {
	case s := <-got:
		if s != "early write" {
			t.Errorf("echo %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no echo of the early write")
	}

	untrusted := &Server{Handler: &echoHandler{}, TLSClientConfig: &tls.Config{ServerName: "localhost"}, Loops: 1}
	defer untrusted.Close()
	if _, err := untrusted.Dial("tcp", addr.String(), nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Dial to an untrusted certificate: %v, want a certificate error", err)
	}
}
