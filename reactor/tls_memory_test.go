package reactor

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const tlsMemChild = "REACTOR_TLS_MEM_CHILD"

// TestTLSIdleConnMemory measures server RSS per idle TLS connection (after
// the handshake and one 5-byte echo) at 10000 connections: this reactor
// against package net + crypto/tls with a goroutine per connection (and a
// 512-byte read buffer, as in TestIdleConnMemory). Run with
// EVENTPOLL_LONG=1 (EVENTPOLL_TLS_MEM_CONNS changes the count).
func TestTLSIdleConnMemory(t *testing.T) {
	if kind := os.Getenv(tlsMemChild); kind != "" {
		tlsMemServer(kind)
		return
	}
	if !longRun() {
		t.Skip("set EVENTPOLL_LONG=1 to measure memory per idle TLS connection")
	}
	conns := 10000
	if n, err := strconv.Atoi(os.Getenv("EVENTPOLL_TLS_MEM_CONNS")); err == nil && n > 0 {
		conns = n
	}
	per := map[string]float64{}
	for _, kind := range []string{"reactor", "net"} {
		per[kind] = tlsMemParent(t, kind, conns)
		t.Logf("%s+crypto/tls: %d idle TLS connections cost %.0f bytes of server RSS each", kind, conns, per[kind])
	}
	t.Logf("reactor/net = %.2f", per["reactor"]/per["net"])
	if !raceEnabled && per["reactor"] > per["net"]/2 {
		t.Errorf("reactor %.0f bytes per idle TLS connection, more than half of net's %.0f", per["reactor"], per["net"])
	}
}

func tlsMemServer(kind string) {
	cfg := tlsServerConfig(nil)
	var addr string
	switch kind {
	case "reactor":
		s := &Server{Handler: &echoHandler{}, TLSConfig: cfg}
		ln, err := s.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("ERR", err)
			return
		}
		go s.ServeListener(context.Background(), ln)
		defer s.Close()
		addr = ln.Addr().String()
	default:
		ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
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

func tlsMemParent(t *testing.T, kind string, conns int) float64 {
	cmd := exec.Command(os.Args[0], "-test.run=^TestTLSIdleConnMemory$")
	cmd.Env = append(os.Environ(), tlsMemChild+"="+kind)
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
	var mu sync.Mutex
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	cc := &tls.Config{InsecureSkipVerify: true} // the child made its own certificate
	dial := func(n int) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for i := 0; i < n; i++ {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				c, err := tls.Dial("tcp", addr, cc)
				if err != nil {
					t.Error(err)
					return
				}
				c.SetDeadline(time.Now().Add(30 * time.Second))
				c.Write([]byte("hello"))
				if _, err := io.ReadFull(c, make([]byte, 5)); err != nil {
					t.Error(err)
				}
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	dial(100) // warm up
	before := rss()
	dial(conns)
	time.Sleep(200 * time.Millisecond)
	after := rss()
	return float64(after-before) / float64(conns)
}
