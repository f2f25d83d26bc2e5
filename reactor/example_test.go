package reactor_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"

	"github.com/eventpoll/eventpoll/reactor"
)

// echo writes back whatever it reads.
type echo struct{}

func (echo) OnOpen(c *reactor.Conn)           {}
func (echo) OnData(c *reactor.Conn)           { c.Write(c.Next(-1)) }
func (echo) OnClose(c *reactor.Conn, _ error) {}

// An echo server: OnData sees the inbound bytes in place and queues them
// back; the loop sends them when OnData returns.
func Example_echoServer() {
	s := &reactor.Server{Handler: echo{}}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go s.ServeListener(context.Background(), ln)
	defer s.Close()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.Write([]byte("hello, reactor"))
	buf := make([]byte, 14)
	io.ReadFull(c, buf)
	fmt.Println(string(buf))
	// Output: hello, reactor
}

// upper answers each newline-terminated line with the line in upper case.
// A partial line stays in the connection's buffer until the rest arrives.
type upper struct{}

func (upper) OnOpen(c *reactor.Conn)           {}
func (upper) OnClose(c *reactor.Conn, _ error) {}
func (upper) OnData(c *reactor.Conn) {
	for {
		i := bytes.IndexByte(c.Peek(0), '\n')
		if i < 0 {
			return // wait for the rest of the line
		}
		line := c.Next(i + 1)
		if string(line) == "quit\n" {
			c.Close() // graceful: what was written is sent first
			return
		}
		c.Write(bytes.ToUpper(line))
	}
}

// A line-framed server: the handler consumes whole lines and leaves a
// partial one in the buffer.
func Example_lineServer() {
	s := &reactor.Server{Handler: upper{}, Loops: 2}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go s.ServeListener(context.Background(), ln)
	defer s.Close()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.Write([]byte("first line\nsecond "))
	c.Write([]byte("line\nquit\n"))
	out, _ := io.ReadAll(c) // until the server closes
	fmt.Print(string(out))
	// Output:
	// FIRST LINE
	// SECOND LINE
}

// printer is a client handler: it prints what the server sends and closes.
type printer struct{ done chan struct{} }

func (p printer) OnOpen(c *reactor.Conn) { c.Write([]byte("ping\n")) }
func (p printer) OnData(c *reactor.Conn) {
	if i := bytes.IndexByte(c.Peek(0), '\n'); i >= 0 {
		fmt.Printf("%s", c.Next(i+1))
		c.Close()
	}
}
func (p printer) OnClose(c *reactor.Conn, err error) { close(p.done) }

// A client: Dial connects from one of the server's loops with a
// non-blocking connect; the handler drives the connection.
func ExampleServer_Dial() {
	// Any line server will do; this one runs on package net.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		fmt.Fprintf(c, "pong to %s", line)
		io.Copy(io.Discard, c)
	}()

	client := &reactor.Server{Loops: 1} // no listener: loops for clients only
	defer client.Close()
	p := printer{done: make(chan struct{})}
	if _, err := client.Dial("tcp", ln.Addr().String(), p); err != nil {
		fmt.Println(err)
		return
	}
	<-p.done
	// Output: pong to ping
}
