//go:build unix

package reactor

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const emfileChild = "REACTOR_EMFILE_CHILD"

// emfileLimit is the descriptor limit of the server process in TestEMFILE.
const emfileLimit = 64

// TestEMFILE runs an echo server in a child process whose descriptor limit
// is 64, opens far more connections than that, measures the child's CPU
// time while it sits at the limit, then frees the connections and checks
// that it serves new ones.
func TestEMFILE(t *testing.T) {
	if os.Getenv(emfileChild) != "" {
		emfileServer(t)
		return
	}
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) { emfileParent(t, m, "") })
	}
}

func emfileServer(t *testing.T) {
	lim := syscall.Rlimit{Cur: emfileLimit, Max: emfileLimit}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Println("ERR", err)
		return
	}
	trigger := Edge
	if os.Getenv("REACTOR_TRIGGER") == "level" {
		trigger = Level
	}
	engine := EngineReadiness
	if os.Getenv("REACTOR_ENGINE") == "completion" {
		engine = EngineCompletion
	}
	s := &Server{Handler: &echoHandler{}, Loops: 1, Backend: os.Getenv("REACTOR_BACKEND"), Trigger: trigger,
		Engine: engine, Kernel: testKernels[os.Getenv("REACTOR_KERNEL")]}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERR", err)
		return
	}
	go s.ServeListener(t.Context(), ln)
	if got := s.loops[0].Engine(); got != engine {
		fmt.Println("ERR engine", got, "want", engine)
		return
	}
	fmt.Println("ADDR", ln.Addr())
	io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	s.Close()
}

// cpuTime returns the user+system CPU time of process pid.
func cpuTime(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

// emfileParent runs the parent's side for mode m, with the server on the
// Kernel named kernel in testKernels ("" is Host).
func emfileParent(t *testing.T, m mode, kernel string) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestEMFILE$")
	cmd.Env = append(os.Environ(), emfileChild+"=1", "REACTOR_BACKEND="+m.backend, "REACTOR_TRIGGER="+m.trigger.String(), "REACTOR_ENGINE="+m.engine.String(), "REACTOR_KERNEL="+kernel)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server process: %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("server process did not exit")
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("server process said %q (%v)", line, err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))

	// Far more connection attempts than the server has descriptors.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i < 5*emfileLimit; i++ {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			continue // the accept queue is full: the client gives up
		}
		held = append(held, c)
	}
	if len(held) < 2*emfileLimit {
		t.Fatalf("only %d connections made", len(held))
	}
	// At the limit, with clients still knocking, the server must not spin.
	time.Sleep(200 * time.Millisecond)
	before := cpuTime(t, cmd.Process.Pid)
	start := time.Now()
	for time.Since(start) < 500*time.Millisecond {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			held = append(held, c)
		}
		time.Sleep(20 * time.Millisecond)
	}
	used := cpuTime(t, cmd.Process.Pid) - before
	elapsed := time.Since(start)
	t.Logf("%d connections held; server CPU %v over %v at the limit", len(held), used, elapsed.Round(time.Millisecond))
	if used > elapsed/5 {
		t.Errorf("server used %v of CPU in %v at the descriptor limit: it spins", used, elapsed)
	}
	// Free the descriptors: the server must serve new connections again.
	for _, c := range held {
		c.Close()
	}
	held = nil
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := streamOne("tcp", addr, 42, 64<<10)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server does not serve after the descriptors were freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
