package main

import (
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/eventpoll/eventpoll/reactor"
)

// echoHandler writes back whatever arrives: the reactor sends it with one
// write (or queues it for writev) when OnData returns.
type echoHandler struct{}

func (echoHandler) OnOpen(*reactor.Conn) {}

func (echoHandler) OnData(c *reactor.Conn) { c.Write(c.Next(c.Buffered())) }

func (echoHandler) OnClose(*reactor.Conn, error) {}

// printHandler is the seeds' edge-triggered server: it announces each
// accepted connection with its descriptor and the peer's host and port,
// copies what each client sends to out, and announces each close. The
// server reads 512 bytes at a time until EAGAIN (serve sets ReadBufferSize
// and ReadUntilEAGAIN), so OnData sees each read as it happened.
type printHandler struct {
	mu  sync.Mutex // loops write to one stream
	out io.Writer
}

func newPrintHandler(out io.Writer) *printHandler { return &printHandler{out: out} }

func (h *printHandler) OnOpen(c *reactor.Conn) {
	host, port := "?", "?"
	if a := c.RemoteAddr(); a != nil {
		if hh, pp, err := net.SplitHostPort(a.String()); err == nil {
			host, port = hh, pp
		} else {
			host = a.String()
		}
	}
	h.mu.Lock()
	fmt.Fprintf(h.out, "Accepted connection on descriptor %d (host=%s, port=%s)\n", c.Fd(), host, port)
	h.mu.Unlock()
}

func (h *printHandler) OnData(c *reactor.Conn) {
	h.mu.Lock()
	h.out.Write(c.Next(c.Buffered()))
	h.mu.Unlock()
}

func (h *printHandler) OnClose(c *reactor.Conn, err error) {
	h.mu.Lock()
	if err != nil {
		fmt.Fprintf(h.out, "Closed connection on descriptor %d (%v)\n", c.Fd(), err)
	} else {
		fmt.Fprintf(h.out, "Closed connection on descriptor %d\n", c.Fd())
	}
	h.mu.Unlock()
}
