package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// impl is one server under test.
type impl struct {
	Name string
	// Args run it: the C server's binary and address, or this binary's
	// "server" subcommand.
	Args func(addr string) []string
	// MaxConns is the most connections it can take (select: fds < 1024).
	MaxConns int
}

// parseImpl turns a name into an impl:
//
//	c                          the C epoll server (bench/cserver/echo.c)
//	net                        Go net, goroutine per connection
//	netpoll[:loops]            cloudwego/netpoll
//	gnet[:loops]               panjf2000/gnet/v2
//	nbio[:loops]               lesismal/nbio
//	c-uring                    the C io_uring server (bench/cserver/uring_echo.c)
//	goraw                      echo.c in Go, no library (the Go floor)
//	eventpoll:BACKEND:TRIG:LOOPS  the reactor, e.g. eventpoll:epoll:et:1;
//	                           TRIG cq is the completion engine (io_uring
//	                           requests; BACKEND is its fallback), e.g.
//	                           eventpoll:io_uring:cq:1
//	eventpoll:BACKEND:TRIG:LOOPS:raw  the same on rawKernel (an experiment)
func parseImpl(name, self, cbin string) (impl, error) {
	f := strings.Split(name, ":")
	im := impl{Name: name, MaxConns: 1 << 30}
	switch f[0] {
	case "c":
		im.Args = func(addr string) []string {
			host, port, _ := net.SplitHostPort(addr)
			return []string{cbin, host, port}
		}
	case "c-uring":
		ubin := filepath.Join(filepath.Dir(cbin), "curing")
		im.Args = func(addr string) []string {
			host, port, _ := net.SplitHostPort(addr)
			return []string{ubin, host, port}
		}
	case "net", "goraw":
		im.Args = func(addr string) []string { return []string{self, "server", "--impl", f[0], "--addr", addr} }
	case "netpoll", "gnet", "nbio":
		loops := "1"
		if len(f) > 1 {
			loops = f[1]
		}
		im.Args = func(addr string) []string {
			return []string{self, "server", "--impl", f[0], "--loops", loops, "--addr", addr}
		}
	case "eventpoll":
		if len(f) != 4 && (len(f) != 5 || f[4] != "raw") {
			return im, fmt.Errorf("impl %q: want eventpoll:BACKEND:et|lt|cq:LOOPS[:raw]", name)
		}
		if f[1] == "select" {
			im.MaxConns = 900
		}
		im.Args = func(addr string) []string {
			args := []string{self, "server", "--impl", "eventpoll", "--backend", f[1], "--trigger", f[2], "--loops", f[3]}
			if len(f) == 5 {
				args = append(args, "--raw")
			}
			return append(args, "--addr", addr)
		}
	default:
		return im, fmt.Errorf("unknown impl %q", name)
	}
	return im, nil
}

// server is a running server process.
type server struct {
	impl impl
	addr string
	cmd  *exec.Cmd
	log  bytes.Buffer
	// exited is closed when the process has exited.
	exited chan struct{}
	// statsFile is where a Go server reports its allocations ("" for C).
	statsFile string
}

// taskset prefixes args with "taskset -c cpus" when cpus is set.
func taskset(cpus string, args []string) []string {
	if cpus == "" {
		return args
	}
	return append([]string{"taskset", "-c", cpus}, args...)
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServer starts im pinned to cpus and waits until it accepts.
func startServer(im impl, cpus string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := taskset(cpus, im.Args(addr))
	s := &server{impl: im, addr: addr}
	if args[len(args)-2] == "--addr" && slices.Contains(args, "server") {
		f, err := os.CreateTemp("", "bench-stats")
		if err != nil {
			return nil, err
		}
		f.Close()
		os.Remove(f.Name())
		s.statsFile = f.Name()
		args = append(args, "--stats-file", s.statsFile)
	}
	s.cmd = exec.Command(args[0], args[1:]...)
	s.cmd.Stdout = &s.log
	s.cmd.Stderr = &s.log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	s.exited = exited
	go func() { s.cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			// taskset execs the server, so the pid is the server's.
			return s, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("%s exited: %s", im.Name, strings.TrimSpace(s.log.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not listen on %s within 10s", im.Name, addr)
		}
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// allocs asks a Go server for its heap allocation count (ok false for the
// C server or when it does not answer within a second).
func (s *server) allocs() (n uint64, ok bool) {
	if s.statsFile == "" {
		return 0, false
	}
	read := func() (seq, allocs uint64) {
		data, err := os.ReadFile(s.statsFile)
		if err == nil {
			fmt.Sscan(string(data), &seq, &allocs)
		}
		return seq, allocs
	}
	seq0, _ := read()
	if s.cmd.Process.Signal(syscall.SIGUSR1) != nil {
		return 0, false
	}
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if seq, a := read(); seq > seq0 {
			return a, true
		}
	}
	return 0, false
}

func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

func (s *server) stop() {
	if s.statsFile != "" {
		defer os.Remove(s.statsFile)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(3 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// runClientProc runs this binary's client subcommand pinned to cpus.
// Engine "c" runs the C client (bin/cclient, beside this binary) instead.
func runClientProc(self, cpus, engine, addr string, conns, depth, size int, d time.Duration) (*clientResult, error) {
	args := taskset(cpus, []string{self, "client", "--engine", engine, "--addr", addr,
		"--conns", fmt.Sprint(conns), "--depth", fmt.Sprint(depth), "--size", fmt.Sprint(size),
		"--duration", d.String()})
	if engine == "c" {
		args = taskset(cpus, []string{filepath.Join(filepath.Dir(self), "cclient"), "--addr", addr,
			"--conns", fmt.Sprint(conns), "--depth", fmt.Sprint(depth), "--size", fmt.Sprint(size),
			"--duration", fmt.Sprint(d.Seconds())})
	}
	cmd := exec.Command(args[0], args[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("client: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	var r clientResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("client output %q: %w", out.String(), err)
	}
	return &r, nil
}

// idleRSS starts a fresh im, holds conns served-then-idle connections on it
// and returns the server's RSS before and with them.
func idleRSS(self, serverCPUs, clientCPUs string, im impl, conns int) (before, with int64, err error) {
	s, err := startServer(im, serverCPUs)
	if err != nil {
		return 0, 0, err
	}
	defer s.stop()
	time.Sleep(300 * time.Millisecond)
	if before, err = procRSS(s.pid()); err != nil {
		return 0, 0, err
	}
	args := taskset(clientCPUs, []string{self, "idle", "--addr", s.addr, "--conns", fmt.Sprint(conns)})
	cmd := exec.Command(args[0], args[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	line, rerr := bufio.NewReader(stdout).ReadString('\n')
	if rerr != nil || strings.TrimSpace(line) != "ready" {
		stdin.Close()
		cmd.Wait()
		return 0, 0, fmt.Errorf("idle client: %q %v: %s", line, rerr, strings.TrimSpace(errb.String()))
	}
	go io.Copy(io.Discard, stdout)
	time.Sleep(time.Second) // let the server settle (idle timers, GC)
	with, err = procRSS(s.pid())
	return before, with, err
}

// buildC compiles the C server with the system's cc into dir.
func buildC(dir string) (string, error) {
	src := filepath.Join(dir, "..", "cserver", "echo.c")
	if _, err := os.Stat(src); err != nil {
		src = filepath.Join("cserver", "echo.c")
	}
	bin := filepath.Join(dir, "cecho")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built by run.sh build (or carried to a machine with no compiler)
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	out, err := exec.Command(cc, "-O2", "-Wall", "-o", bin, src).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("cc: %v: %s", err, out)
	}
	return bin, nil
}
