package reactor

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/internal/selfsign"
)

var (
	testCertOnce sync.Once
	testCert     *selfsign.Cert
)

// tlsTestCert returns one self-signed certificate shared by the tests.
func tlsTestCert(t testing.TB) *selfsign.Cert {
	if t != nil {
		t.Helper()
	}
	testCertOnce.Do(func() {
		c, err := selfsign.New()
		if err != nil {
			panic(err)
		}
		testCert = c
	})
	return testCert
}

func tlsServerConfig(t testing.TB) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{tlsTestCert(t).TLS}}
}

func tlsClientConf(t testing.TB) *tls.Config {
	return &tls.Config{RootCAs: tlsTestCert(t).Pool(), ServerName: "localhost"}
}

// tlsStreamConns is how many TLS clients stream at once in TestTLSStream.
func tlsStreamConns() int {
	if longRun() {
		return 1000
	}
	if raceEnabled {
		return 50
	}
	return 200
}

// TestTLSStream streams random data through the TLS echo server over many
// crypto/tls clients at once and checks every byte, on every backend and
// trigger (1000 connections with EVENTPOLL_LONG=1).
func TestTLSStream(t *testing.T) {
	for _, m := range modes() {
		if m.backend == "select" {
			continue // FD_SETSIZE
		}
		if m.engine == EngineCompletion {
			continue // TLS falls back to the readiness engine (TestCompletionFallbackTLS)
		}
		t.Run(m.String(), func(t *testing.T) {
			h := &echoHandler{}
			s := &Server{Handler: h, Backend: m.backend, Trigger: m.trigger, Engine: m.engine, Loops: 2, TLSConfig: tlsServerConfig(t)}
			addr, stop := serve(t, s, "tcp", "127.0.0.1:0")
			n := tlsStreamConns()
			var wg sync.WaitGroup
			errc := make(chan error, n)
			sem := make(chan struct{}, 100) // bounded dial concurrency
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					sem <- struct{}{}
					c, err := tls.Dial("tcp", addr.String(), tlsClientConf(t))
					<-sem
					if err != nil {
						errc <- err
						return
					}
					defer c.Close()
					size := 1 + mrand.IntN(200<<10)
					if i%50 == 0 {
						size = 1 << 20
					}
					data := make([]byte, size)
					rand.Read(data)
					go func() {
						for p := data; len(p) > 0; {
							k := min(len(p), 1+mrand.IntN(32<<10))
							if _, err := c.Write(p[:k]); err != nil {
								return
							}
							p = p[k:]
						}
					}()
					got := make([]byte, size)
					c.SetReadDeadline(time.Now().Add(60 * time.Second))
					if _, err := io.ReadFull(c, got); err != nil {
						errc <- fmt.Errorf("conn %d: read %d bytes: %w", i, size, err)
						return
					}
					if !bytes.Equal(got, data) {
						errc <- fmt.Errorf("conn %d: echoed bytes differ", i)
					}
				}(i)
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Error(err)
			}
			stop()
			_, _, errs := h.counts()
			for _, err := range errs {
				if !errors.Is(err, ErrServerClosed) {
					t.Errorf("OnClose: %v", err)
				}
			}
		})
	}
}

// TestTLSDial connects a TLS client made by Server.Dial to a TLS echo
// server of the same package and to crypto/tls, and echoes through it.
func TestTLSDial(t *testing.T) {
	srv := &Server{Handler: &echoHandler{}, TLSConfig: tlsServerConfig(t), Loops: 1}
	addr, _ := serve(t, srv, "tcp", "127.0.0.1:0")
	got := make(chan []byte, 1)
	ch := &funcHandler{data: func(c *Conn) {
		if c.Buffered() >= 5 {
			got <- append([]byte(nil), c.Next(-1)...)
		}
	}}
	cli := &Server{Handler: ch, TLSClientConfig: tlsClientConf(t), Loops: 1}
	defer cli.Close()
	c, err := cli.Dial("tcp", addr.String(), nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	st := make(chan tls.ConnectionState, 1)
	c.Loop().Submit(func() {
		s, _ := c.TLSConnectionState()
		st <- s
		c.Write([]byte("hello"))
	})
	if s := <-st; !s.HandshakeComplete || s.Version != tls.VersionTLS13 {
		t.Errorf("state: complete %v version %x", s.HandshakeComplete, s.Version)
	}
	select {
	case b := <-got:
		if string(b) != "hello" {
			t.Errorf("echo %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no echo")
	}
}

var _ = context.Background
var _ net.Conn
