package reactor

import (
	"context"
	"net"
	"testing"

	"golang.org/x/net/nettest"
)

// netPipe makes a pair of connected NetConns: c1 accepted by a ListenNet
// server, c2 dialed by a second server's DialNet (so each side runs on its
// own loops), or, with stdPeer, c1 dialed by DialNet and c2 a plain
// *net.TCPConn accepted by package net.
func netPipe(m mode, stdPeer bool) nettest.MakePipe {
	return func() (c1, c2 net.Conn, stop func(), err error) {
		srv := &Server{Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
		cli := &Server{Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
		stop = func() {
			srv.Close()
			cli.Close()
		}
		if stdPeer {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, nil, stop, err
			}
			defer ln.Close()
			d, err := cli.DialNet(context.Background(), "tcp", ln.Addr().String())
			if err != nil {
				return nil, nil, stop, err
			}
			a, err := ln.Accept()
			if err != nil {
				return nil, nil, stop, err
			}
			// stop closes a: otherwise its finalizer may reset the
			// connection while a test leaves it unused.
			st := stop
			return d, a, func() { st(); a.Close() }, nil
		}
		nl, err := srv.ListenNet("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, stop, err
		}
		d, err := cli.DialNet(context.Background(), "tcp", nl.Addr().String())
		if err != nil {
			return nil, nil, stop, err
		}
		a, err := nl.Accept()
		return a, d, stop, err
	}
}

// TestNetConnConformance runs x/net/nettest.TestConn, the standard
// net.Conn conformance suite, on every backend and trigger mode.
func TestNetConnConformance(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			t.Run("reactor-reactor", func(t *testing.T) { nettest.TestConn(t, netPipe(m, false)) })
			t.Run("reactor-net", func(t *testing.T) { nettest.TestConn(t, netPipe(m, true)) })
		})
	}
}
