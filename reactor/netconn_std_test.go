//lint:file-ignore SA1019 x/net/http2's h2c is the existing code the issue names; net/http's own unencrypted HTTP/2 is tested as well

package reactor

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

func netMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s %s", r.Proto, r.URL.Query().Get("n"))
	})
	return mux
}

func getBody(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// TestNetListenerHTTP: http.Serve runs unchanged on a NetListener, on every
// backend and trigger.
func TestNetListenerHTTP(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			s := &Server{Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			defer s.Close()
			ln, err := s.ListenNet("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go http.Serve(ln, netMux())
			c := &http.Client{Timeout: 10 * time.Second}
			for i := range 20 {
				if got, want := getBody(t, c, fmt.Sprintf("http://%s/hello?n=%d", ln.Addr(), i)), fmt.Sprintf("hello HTTP/1.1 %d", i); got != want {
					t.Fatalf("got %q want %q", got, want)
				}
			}
		})
	}
}

// TestNetListenerTLS: tls.NewListener over a NetListener serves HTTPS.
func TestNetListenerTLS(t *testing.T) {
	s := &Server{Loops: 1}
	defer s.Close()
	ln, err := s.ListenNet("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(netMux())
	ts.Listener.Close()
	ts.Listener = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{tlsTestCert(t).TLS}})
	ts.TLS = &tls.Config{}
	ts.Start()
	defer ts.Close()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if got := getBody(t, c, "https://"+ln.Addr().String()+"/hello?n=tls"); got != "hello HTTP/1.1 tls" {
		t.Fatalf("got %q", got)
	}
}

// TestNetListenerH2C: x/net/http2's h2c handler serves HTTP/2 without TLS
// over a NetListener; the client dials with DialNet.
func TestNetListenerH2C(t *testing.T) {
	s := &Server{Loops: 1}
	defer s.Close()
	ln, err := s.ListenNet("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(ln, h2c.NewHandler(netMux(), &http2.Server{}))
	cli := &Server{Loops: 1}
	defer cli.Close()
	tr := &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		return cli.DialNet(ctx, network, addr)
	}}
	c := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	for i := range 5 {
		if got, want := getBody(t, c, fmt.Sprintf("http://%s/hello?n=%d", ln.Addr(), i)), fmt.Sprintf("hello HTTP/2.0 %d", i); got != want {
			t.Fatalf("got %q want %q", got, want)
		}
	}
}

// TestNetListenerUnencryptedHTTP2: net/http's own unencrypted HTTP/2
// (Server.Protocols) over a NetListener, with a client dialing by DialNet.
func TestNetListenerUnencryptedHTTP2(t *testing.T) {
	s := &Server{Loops: 1}
	defer s.Close()
	ln, err := s.ListenNet("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	hs := &http.Server{Handler: netMux(), Protocols: &p}
	go hs.Serve(ln)
	defer hs.Close()
	cli := &Server{Loops: 1}
	defer cli.Close()
	tr := &http.Transport{Protocols: &p, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return cli.DialNet(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	if got := getBody(t, c, "http://"+ln.Addr().String()+"/hello?n=2"); got != "hello HTTP/2.0 2" {
		t.Fatalf("got %q", got)
	}
}
