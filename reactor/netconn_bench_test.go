//go:build unix

package reactor

import (
	"context"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// procCPU returns the process's user+system CPU time.
func procCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// netServers starts an echo server, one goroutine per connection doing
// io.Copy, over package net or over a NetListener (one loop).
func netServer(b *testing.B, reactorNet bool) string {
	var ln net.Listener
	if reactorNet {
		s := &Server{Loops: 1}
		b.Cleanup(func() { s.Close() })
		nl, err := s.ListenNet("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		ln = nl
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		ln = l
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				io.CopyBuffer(c, c, buf)
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkNetConnEcho: a 64-byte round trip to an io.Copy echo server on
// package net and on NetConn; cpu-ns/op is the whole process's CPU time
// (client and server) per message.
func BenchmarkNetConnEcho(b *testing.B) {
	for _, impl := range []string{"net", "reactor"} {
		b.Run(impl, func(b *testing.B) {
			addr := netServer(b, impl == "reactor")
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			msg, buf := make([]byte, 64), make([]byte, 64)
			for range 100 {
				c.Write(msg)
				io.ReadFull(c, buf)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := procCPU()
			for range b.N {
				c.Write(msg)
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(procCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkNetConnIdleMemory: heap and stack per idle connection, each
// served by a goroutine blocked in Read, on package net and on NetConn
// (client sockets are plain net.Conns in both; their cost is subtracted by
// measuring the client side alone first).
func BenchmarkNetConnIdleMemory(b *testing.B) {
	const n = 2000
	mem := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse + ms.StackInuse
	}
	for _, impl := range []string{"net", "reactor"} {
		b.Run(impl, func(b *testing.B) {
			for range b.N {
				var ln net.Listener
				var s *Server
				if impl == "reactor" {
					s = &Server{Loops: 1}
					nl, err := s.ListenNet("tcp", "127.0.0.1:0")
					if err != nil {
						b.Fatal(err)
					}
					ln = nl
				} else {
					l, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						b.Fatal(err)
					}
					ln = l
				}
				accepted := make(chan net.Conn, n)
				go func() {
					for {
						c, err := ln.Accept()
						if err != nil {
							return
						}
						accepted <- c
						go func() { c.Read(make([]byte, 1)) }() // a typical server: one reader per connection
					}
				}()
				base := mem()
				clients := make([]net.Conn, 0, n)
				for range n {
					c, err := net.Dial("tcp", ln.Addr().String())
					if err != nil {
						b.Fatal(err)
					}
					clients = append(clients, c)
				}
				servers := make([]net.Conn, 0, n)
				for range n {
					servers = append(servers, <-accepted)
				}
				time.Sleep(50 * time.Millisecond)
				used := mem() - base
				b.ReportMetric(float64(used)/n, "B/conn(both-ends)")
				for _, c := range clients {
					c.Close()
				}
				for _, c := range servers {
					c.Close()
				}
				ln.Close()
				if s != nil {
					s.Shutdown(context.Background())
				}
			}
		})
	}
}
