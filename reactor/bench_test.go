//go:build unix

package reactor

import (
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/eventpoll/eventpoll"
	"golang.org/x/sys/unix"
)

// BenchmarkEcho measures one echoed message (write, then read the echo)
// over loopback TCP with an in-process client; allocs/op counts the whole
// process, server and client. Cases: the readiness engine edge- and
// level-triggered, and the completion engine where it runs.
func BenchmarkEcho(b *testing.B) {
	type engineCase struct {
		name    string
		trigger Trigger
		engine  Engine
	}
	cases := []engineCase{{"edge", Edge, EngineReadiness}, {"level", Level, EngineReadiness}}
	if completionUnavailable() == nil {
		cases = append(cases, engineCase{"completion", Edge, EngineCompletion})
	}
	for _, size := range []int{64, 4 << 10, 64 << 10} {
		for _, ec := range cases {
			b.Run(ec.name+"/"+byteSize(size), func(b *testing.B) {
				s := &Server{Handler: &echoHandler{}, Loops: 1, Trigger: ec.trigger, Engine: ec.engine}
				addr, _ := serve(b, s, "tcp", "127.0.0.1:0")
				c, err := net.Dial("tcp", addr.String())
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				msg := make([]byte, size)
				buf := make([]byte, size)
				// Warm the pools and the connection.
				for i := 0; i < 100; i++ {
					c.Write(msg)
					io.ReadFull(c, buf)
				}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := c.Write(msg); err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(c, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEchoParallel runs one connection per parallel goroutine against
// a server with GOMAXPROCS loops.
func BenchmarkEchoParallel(b *testing.B) {
	s := &Server{Handler: &echoHandler{}}
	addr, _ := serve(b, s, "tcp", "127.0.0.1:0")
	b.SetBytes(64)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		msg := make([]byte, 64)
		buf := make([]byte, 64)
		for pb.Next() {
			if _, err := c.Write(msg); err != nil {
				b.Error(err)
				return
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// BenchmarkKernelSeam compares system calls made through the
// eventpoll.Kernel interface (as the reactor makes them) with the same calls
// made directly with x/sys/unix: a one-byte read from a pipe, and a one-byte
// send (MSG_NOSIGNAL, as Kernel.Write does on sockets) on a socket pair.
// The seam should cost nothing measurable next to the system calls.
func BenchmarkKernelSeam(b *testing.B) {
	k := eventpoll.Host()
	p := []byte{1}
	q := []byte{0}
	// Each case gets fresh descriptors, so no case inherits another's
	// buffer state.
	run := func(name string, pair func() (int, int, error), f func(x, y int) error) {
		b.Run(name, func(b *testing.B) {
			x, y, err := pair()
			if err != nil {
				b.Fatal(err)
			}
			defer k.Close(x)
			defer k.Close(y)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := f(x, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("read/kernel", k.Pipe, func(r, w int) error {
		unix.Write(w, p)
		_, err := k.Read(r, q)
		return err
	})
	run("read/unix", k.Pipe, func(r, w int) error {
		unix.Write(w, p)
		_, err := unix.Read(r, q)
		return err
	})
	// The cheapest system call there is: a read from an empty
	// non-blocking pipe (EAGAIN), where any cost of the seam would show most.
	run("eagain/kernel", k.Pipe, func(r, w int) error {
		if _, err := k.Read(r, q); err != syscall.EAGAIN {
			return err
		}
		return nil
	})
	run("eagain/unix", k.Pipe, func(r, w int) error {
		if _, err := unix.Read(r, q); err != syscall.EAGAIN {
			return err
		}
		return nil
	})
	run("send/kernel", k.Socketpair, func(a, b int) error {
		if _, err := k.Write(a, p); err != nil {
			return err
		}
		_, err := unix.Read(b, q)
		return err
	})
	run("send/unix", k.Socketpair, func(a, b int) error {
		if _, err := unix.SendmsgN(a, p, nil, nil, unix.MSG_NOSIGNAL); err != nil {
			return err
		}
		_, err := unix.Read(b, q)
		return err
	})
}

// BenchmarkEchoNetStdlib is the reference for BenchmarkEcho: the same client
// against a goroutine-per-connection echo server on package net.
func BenchmarkEchoNetStdlib(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	for _, size := range []int{64, 4 << 10, 64 << 10} {
		b.Run(byteSize(size), func(b *testing.B) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			msg := make([]byte, size)
			buf := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
