package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's loops and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs serveMain with args until the test ends and returns the
// bound address, standard output and a function that stops the server and
// returns serveMain's error.
func startServe(t *testing.T, args ...string) (addr string, out *syncBuffer, stop func() error) {
	t.Helper()
	out = new(syncBuffer)
	errOut := new(syncBuffer)
	ctx, cancel := context.WithCancel(context.Background())
	readyc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serveMain(ctx, args, out, errOut, func(a string) { readyc <- a }) }()
	select {
	case addr = <-readyc:
	case err := <-done:
		cancel()
		t.Fatalf("serve %v: %v\n%s", args, err, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serr = <-done:
			case <-time.After(20 * time.Second):
				serr = fmt.Errorf("serve did not stop")
			}
		})
		return serr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve %v: %v\n%s", args, err, errOut.String())
		}
	})
	return addr, out, stop
}

// TestServeEcho streams random data over several connections on every
// backend and trigger mode and checks each byte comes back.
func TestServeEcho(t *testing.T) {
	for _, backend := range []string{"epoll", "poll", "select"} {
		for _, trig := range []string{"edge", "level"} {
			t.Run(backend+"/"+trig, func(t *testing.T) {
				addr, _, stop := startServe(t, "--addr", "127.0.0.1:0", "--proto", "echo",
					"--backend", backend, "--trigger", trig, "--loops", "2")
				var wg sync.WaitGroup
				for i := 0; i < 20; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := echoRoundTrip(addr, 64<<10); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
				if err := stop(); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func echoRoundTrip(addr string, n int) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	want := make([]byte, n)
	rand.Read(want)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(want)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		errc <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if err := <-errc; err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("echo: got %d bytes, want %d (equal prefix %d)", len(got), len(want), commonPrefix(got, want))
	}
	return nil
}

func commonPrefix(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// TestServePrint is the seeds' server: what a client sends appears on
// standard output between the accepted and closed lines of its descriptor.
func TestServePrint(t *testing.T) {
	addr, out, _ := startServe(t, "--addr", "127.0.0.1:0", "--proto", "print")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	msg := strings.Repeat("0123456789abcdef", 100) + "\n" // more than one 512-byte read
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	closed := regexp.MustCompile(`Closed connection on descriptor (\d+)\n`)
	deadline := time.Now().Add(10 * time.Second)
	for !closed.MatchString(out.String()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := out.String()
	m := regexp.MustCompile(`^Accepted connection on descriptor (\d+) \(host=127\.0\.0\.1, port=\d+\)\n`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no accepted line: %q", got)
	}
	cm := closed.FindStringSubmatch(got)
	if cm == nil || cm[1] != m[1] {
		t.Fatalf("no closed line for descriptor %s: %q", m[1], got)
	}
	body := got[len(m[0]):strings.Index(got, cm[0])]
	if body != msg {
		t.Fatalf("printed %d bytes %q, want %d bytes", len(body), body, len(msg))
	}
}

// TestServeRESP talks to --proto resp with hand-written commands.
func TestServeRESP(t *testing.T) {
	addr, _, _ := startServe(t, "--addr", "127.0.0.1:0", "--proto", "resp")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(c, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nNOSUCH\r\n")
	r := bufio.NewReader(c)
	var lines []string
	for len(lines) < 4 {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v", lines, err)
		}
		lines = append(lines, l)
	}
	want := []string{"+OK\r\n", "$2\r\n", "v1\r\n"}
	for i, w := range want {
		if lines[i] != w {
			t.Fatalf("reply %d = %q, want %q (all: %q)", i, lines[i], w, lines)
		}
	}
	if !strings.HasPrefix(lines[3], "-ERR unknown command") {
		t.Fatalf("unknown command reply %q", lines[3])
	}
}

// TestServeHTTP fetches the plaintext and JSON endpoints with net/http.
func TestServeHTTP(t *testing.T) {
	addr, _, _ := startServe(t, "--addr", "127.0.0.1:0", "--proto", "http", "--trigger", "level")
	cl := &http.Client{Timeout: 10 * time.Second}
	defer cl.CloseIdleConnections()
	for path, want := range map[string]string{"/": "Hello, World!", "/json": `{"message":"Hello, World!"}`} {
		res, err := cl.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || string(b) != want {
			t.Fatalf("GET %s: %d %q %v", path, res.StatusCode, b, err)
		}
	}
}

// TestServeUnix serves echo on a Unix socket and removes its file on exit.
func TestServeUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "echo.sock")
	_, _, stop := startServe(t, "--network", "unix", "--addr", path, "--proto", "echo")
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %q %v", buf, err)
	}
	c.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("unix", path); err == nil {
		t.Fatal("socket still accepts after stop")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket file %s left behind (stat: %v)", path, err)
	}
}

// TestServeFlagErrors: bad flags are clear errors, nothing starts.
func TestServeFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--proto", "nope"},
		{"--trigger", "sideways"},
		{"--accept", "random"},
		{"--backend", "kqueue", "--addr", "127.0.0.1:0"},
		{"--addr", "not-an-address"},
		{"extra"},
	} {
		var errOut bytes.Buffer
		err := serveMain(context.Background(), args, io.Discard, &errOut, func(string) { t.Errorf("%v: started", args) })
		if err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
