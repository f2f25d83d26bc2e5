package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if os.Getenv("EVENTPOLL_TEST_MAIN") == "1" {
		// The test binary runs the command: tests start it as a process
		// to send it signals and read its exit status.
		os.Args = append([]string{"eventpoll"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testExe returns the test binary, which runs the command when started
// with EVENTPOLL_TEST_MAIN=1 (TestMain).
func testExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	return exe
}

// startProcess runs "eventpoll args..." as a child process and returns it,
// the address in its banner and its standard error so far.
func startProcess(t *testing.T, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(testExe(t), args...)
	cmd.Env = append(os.Environ(), "EVENTPOLL_TEST_MAIN=1")
	stderr := new(syncBuffer)
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	addrc := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(` on \S+ (\S+) \(`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case a := <-addrc:
		return cmd, a, stderr
	case <-time.After(10 * time.Second):
		t.Fatalf("no banner from %v: %s", args, stderr.String())
	}
	return nil, "", nil
}

// exitCode waits for cmd and returns its exit status.
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not exit")
	}
	return -1
}

// TestServeSIGTERM: 200 clients send PING at depth 16 when serve gets
// SIGTERM. Each gets a reply to every request the server took, then a FIN
// (no reset), and serve exits 0.
func TestServeSIGTERM(t *testing.T) {
	const clients, depth = 200, 16
	cmd, addr, stderr := startProcess(t, "serve", "--proto", "resp", "--addr", "127.0.0.1:0", "--loops", "2")
	var wg sync.WaitGroup
	var mid sync.WaitGroup
	var total atomic.Int64
	errs := make(chan error, clients)
	mid.Add(clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			half := false
			defer func() {
				if !half {
					mid.Done()
				}
			}()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			for j := 0; j < depth; j++ {
				c.Write([]byte("PING\r\n"))
			}
			r := bufio.NewReader(c)
			n := 0
			for {
				line, err := r.ReadString('\n')
				if err == io.EOF && line == "" {
					break
				}
				if err != nil || line != "+PONG\r\n" {
					errs <- fmt.Errorf("after %d replies: %q %v", n, line, err)
					return
				}
				n++
				total.Add(1)
				if n == 100 {
					half = true
					mid.Done()
				}
				c.Write([]byte("PING\r\n"))
			}
		}()
	}
	mid.Wait()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("client: %v", err)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, stderr.String())
	}
	if s := stderr.String(); strings.Contains(s, "cut") {
		t.Fatalf("stderr mentions cut connections:\n%s", s)
	}
	t.Logf("%d replies", total.Load())
}

// TestServeSIGTERMTimeout: a client that never reads its replies keeps its
// connection past --shutdown-timeout; serve cuts it, logs how many
// connections it cut, and exits 1.
func TestServeSIGTERMTimeout(t *testing.T) {
	cmd, addr, stderr := startProcess(t, "serve", "--proto", "resp", "--addr", "127.0.0.1:0", "--shutdown-timeout", "300ms")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	value := strings.Repeat("v", 1<<20)
	fmt.Fprintf(c, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n", len(value), value)
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); line != "+OK\r\n" {
		t.Fatalf("SET: %q %v", line, err)
	}
	c.Write([]byte(strings.Repeat("GET big\r\n", 100))) // 100 MB of replies, never read
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if s := stderr.String(); !strings.Contains(s, "connections=1") {
		t.Fatalf("stderr does not say one connection was cut:\n%s", s)
	}
}
