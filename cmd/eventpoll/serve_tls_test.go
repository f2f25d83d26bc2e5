package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/internal/selfsign"
	"github.com/redis/go-redis/v9"
)

// tlsFiles writes a self-signed certificate and key for localhost and
// 127.0.0.1 and returns their paths and a pool that trusts it.
func tlsFiles(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	c, err := selfsign.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, c.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, c.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, c.Pool()
}

// needTool returns the path of a client program, or skips the test.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed; skipping", name)
	}
	return p
}

// runCmd runs a client program with a timeout and returns its output.
func runCmd(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// TestServeTLSOpenSSL echoes a line through openssl s_client with TLS 1.2
// and TLS 1.3 on every backend and trigger the CLI offers.
func TestServeTLSOpenSSL(t *testing.T) {
	openssl := needTool(t, "openssl")
	certFile, keyFile, _ := tlsFiles(t)
	for _, bt := range [][2]string{{"epoll", "edge"}, {"epoll", "level"}, {"poll", "edge"}, {"select", "level"}} {
		addr, _, _ := startServe(t, "--addr", "127.0.0.1:0", "--proto", "echo", "--backend", bt[0], "--trigger", bt[1], "--tls-cert", certFile, "--tls-key", keyFile)
		for _, v := range []string{"tls1_2", "tls1_3"} {
			t.Run(bt[0]+"/"+bt[1]+"/"+v, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", addr, "-"+v, "-CAfile", certFile, "-verify_return_error", "-servername", "localhost")
				stdin, _ := cmd.StdinPipe()
				stdout, _ := cmd.StdoutPipe()
				cmd.Stderr = io.Discard
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				defer cmd.Wait()
				defer cmd.Process.Kill()
				stdin.Write([]byte("hello over " + v + "\n"))
				sc := bufio.NewScanner(stdout)
				var proto, echoed bool
				want := map[string]string{"tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}[v]
				for sc.Scan() {
					line := sc.Text()
					if strings.Contains(line, want) {
						proto = true
					}
					if line == "hello over "+v {
						echoed = true
						break
					}
				}
				if !proto || !echoed {
					t.Errorf("openssl s_client -%s: protocol %s seen %v, line echoed %v", v, want, proto, echoed)
				}
			})
		}
	}
}

// TestServeTLSHTTP fetches pages from serve --proto http with TLS through
// curl, net/http (certificate verified) and wrk.
func TestServeTLSHTTP(t *testing.T) {
	certFile, keyFile, pool := tlsFiles(t)
	addr, _, _ := startServe(t, "--addr", "127.0.0.1:0", "--proto", "http", "--tls-cert", certFile, "--tls-key", keyFile)
	base := "https://" + addr

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}}}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	for i := 0; i < 20; i++ {
		path := []string{"/", "/json", "/plaintext"}[i%3]
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("net/http GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Hello, World!") {
			t.Fatalf("net/http GET %s: %d %q", path, resp.StatusCode, body)
		}
		if resp.TLS == nil || resp.TLS.NegotiatedProtocol != "http/1.1" {
			t.Errorf("net/http: TLS state %+v", resp.TLS)
		}
	}

	t.Run("curl", func(t *testing.T) {
		curl := needTool(t, "curl")
		if out := runCmd(t, 10*time.Second, curl, "-sS", "--cacert", certFile, base+"/"); out != "Hello, World!" {
			t.Errorf("curl --cacert: %q", out)
		}
		out := runCmd(t, 10*time.Second, curl, "-sS", "-k", "-v", base+"/", base+"/json")
		if !strings.Contains(out, `{"message":"Hello, World!"}`) || !strings.Contains(out, "SSL connection using") {
			t.Errorf("curl -k:\n%s", out)
		}
		if !strings.Contains(out, "Re-using existing connection") && !strings.Contains(out, "Reusing existing") {
			t.Errorf("curl did not reuse the TLS connection:\n%s", out)
		}
	})
	t.Run("wrk", func(t *testing.T) {
		wrk := needTool(t, "wrk")
		out := runCmd(t, 30*time.Second, wrk, "-t", "2", "-c", "50", "-d", "2s", base+"/")
		t.Logf("wrk https:\n%s", out)
		if strings.Contains(out, "Socket errors") || strings.Contains(out, "Non-2xx") {
			t.Fatal("wrk reported errors")
		}
		if m := regexp.MustCompile(`(\d+) requests in`).FindStringSubmatch(out); m == nil || m[1] == "0" {
			t.Fatal("wrk completed no requests")
		}
	})
}

// TestServeTLSRESP talks to serve --proto resp --tls-self-signed with
// redis-cli, redis-benchmark and go-redis over TLS.
func TestServeTLSRESP(t *testing.T) {
	addr, _, _ := startServe(t, "--addr", "127.0.0.1:0", "--proto", "resp", "--tls-self-signed")
	host, port, _ := net.SplitHostPort(addr)

	rdb := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rdb.Set(ctx, "k", strings.Repeat("v", 100000), 0).Err(); err != nil {
		t.Fatalf("go-redis SET: %v", err)
	}
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || len(v) != 100000 {
		t.Fatalf("go-redis GET: %d bytes, %v", len(v), err)
	}

	t.Run("redis-cli", func(t *testing.T) {
		cli := needTool(t, "redis-cli")
		if out := runCmd(t, 10*time.Second, cli, "-h", host, "-p", port, "--tls", "--insecure", "SET", "greeting", "hello"); strings.TrimSpace(out) != "OK" {
			t.Errorf("redis-cli SET: %q", out)
		}
		if out := runCmd(t, 10*time.Second, cli, "-h", host, "-p", port, "--tls", "--insecure", "GET", "greeting"); strings.TrimSpace(out) != "hello" {
			t.Errorf("redis-cli GET: %q", out)
		}
	})
	t.Run("redis-benchmark", func(t *testing.T) {
		bench := needTool(t, "redis-benchmark")
		out := runCmd(t, 60*time.Second, bench, "-h", host, "-p", port, "--tls", "--insecure", "-n", "5000", "-c", "20", "-P", "4", "-t", "set,get", "-q")
		t.Logf("redis-benchmark --tls:\n%s", out)
		if strings.Count(out, "requests per second") != 2 || strings.Contains(strings.ToLower(out), "error") {
			t.Errorf("redis-benchmark --tls output:\n%s", out)
		}
	})
}

// TestLoadTLS runs load --tls against serve with TLS, verifying the
// certificate with --tls-ca and skipping verification with --tls-insecure.
func TestLoadTLS(t *testing.T) {
	certFile, keyFile, _ := tlsFiles(t)
	addr, _, _ := startServe(t, "--addr", "127.0.0.1:0", "--proto", "echo", "--tls-cert", certFile, "--tls-key", keyFile)
	var out, errOut syncBuffer
	if err := loadMain(context.Background(), []string{"--addr", addr, "--conns", "8", "--depth", "4", "--requests", "4000", "--tls", "--tls-ca", certFile, "--tls-server-name", "localhost"}, &out, &errOut, false); err != nil {
		t.Fatalf("load --tls --tls-ca: %v\n%s%s", err, out.String(), errOut.String())
	}
	addr2, _, _ := startServe(t, "--addr", "127.0.0.1:0", "--proto", "http", "--tls-self-signed")
	if err := loadMain(context.Background(), []string{"--addr", addr2, "--proto", "http", "--conns", "8", "--requests", "2000", "--tls", "--tls-insecure"}, &out, &errOut, false); err != nil {
		t.Fatalf("load --tls --tls-insecure: %v\n%s%s", err, out.String(), errOut.String())
	}
	// Without --tls-ca or --tls-insecure the self-signed certificate fails.
	if err := loadMain(context.Background(), []string{"--addr", addr2, "--proto", "http", "--requests", "10", "--tls"}, &out, &errOut, false); err == nil {
		t.Fatal("load --tls accepted an unverified self-signed certificate")
	}
}
