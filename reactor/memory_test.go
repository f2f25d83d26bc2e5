package reactor

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

const memChild = "REACTOR_MEM_CHILD"

// TestIdleConnMemory measures the server's resident memory per idle
// connection: a server process (this reactor, or package net with a
// goroutine per connection for reference) holds 10000 connections that
// each echoed one message. The reactor is measured on both engines (the
// completion engine where it runs). Run with EVENTPOLL_LONG=1.
func TestIdleConnMemory(t *testing.T) {
	if kind := os.Getenv(memChild); kind != "" {
		memServer(kind)
		return
	}
	if !longRun() {
		t.Skip("set EVENTPOLL_LONG=1 to measure memory per idle connection")
	}
	const conns = 10000
	kinds := []string{"reactor", "net"}
	if completionUnavailable() == nil {
		kinds = append(kinds, "completion")
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			per := memParent(t, kind, conns)
			t.Logf("%s: %d idle connections cost %.0f bytes of server RSS each", kind, conns, per)
			if kind != "net" && per > 1024 && !raceEnabled {
				t.Errorf("%.0f bytes per idle connection, want <= 1 KiB", per)
			}
		})
	}
}

// memServer serves echo and answers "rss" lines on stdin with its RSS
// after a garbage collection.
func memServer(kind string) {
	var addr string
	switch kind {
	case "reactor", "completion":
		s := &Server{Handler: &echoHandler{}}
		if kind == "completion" {
			s.Engine = EngineCompletion
		}
		ln, err := s.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("ERR", err)
			return
		}
		go s.ServeListener(context.Background(), ln)
		defer s.Close()
		addr = ln.Addr().String()
	default:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("ERR", err)
			return
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					buf := make([]byte, 512)
					for {
						n, err := c.Read(buf)
						if err != nil {
							c.Close()
							return
						}
						c.Write(buf[:n])
					}
				}()
			}
		}()
		addr = ln.Addr().String()
	}
	fmt.Println("ADDR", addr)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		runtime.GC()
		debug.FreeOSMemory()
		fmt.Println("RSS", rssBytes())
	}
}

func rssBytes() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func memParent(t *testing.T, kind string, conns int) float64 {
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleConnMemory$")
	cmd.Env = append(os.Environ(), memChild+"="+kind)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	out := bufio.NewReader(stdout)
	line, _ := out.ReadString('\n')
	if !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("server said %q", line)
	}
	addr := strings.TrimSpace(line[5:])
	rss := func() int64 {
		io.WriteString(stdin, "rss\n")
		line, _ := out.ReadString('\n')
		v, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "RSS ")), 10, 64)
		return v
	}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	echoOnce := func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte("hello"))
		if _, err := io.ReadFull(c, make([]byte, 5)); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for i := 0; i < 100; i++ { // warm up
		echoOnce()
	}
	before := rss()
	for i := 0; i < conns; i++ {
		echoOnce()
	}
	time.Sleep(100 * time.Millisecond)
	after := rss()
	return float64(after-before) / float64(conns)
}
