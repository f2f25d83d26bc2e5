package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/proto/http1"
	"github.com/eventpoll/eventpoll/proto/resp"
	"github.com/eventpoll/eventpoll/reactor"
)

func init() {
	register("serve", "run a server (echo, print, resp, http) on the reactor", runServe)
}

func runServe(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveMain(ctx, args, os.Stdout, os.Stderr, nil)
}

// serveMain parses the flags, serves until ctx is done, then shuts the server
// down gracefully. ready, when set, is told the bound address once the server
// accepts connections (tests listen on port 0).
func serveMain(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:7000", "listen address (host:port; a path with --network unix)")
	network := fs.String("network", "tcp", "tcp, tcp4, tcp6, unix, or udp, udp4, udp6 (echo only: each datagram is sent back)")
	proto := fs.String("proto", "echo", "echo (write back what arrives), print (the seeds' server: print what clients send), resp (Redis-protocol key-value server) or http (HTTP/1.1: Hello, World! at / and /plaintext, JSON at /json)")
	backend := fs.String("backend", eventpoll.DefaultBackend, "poller backend: "+strings.Join(eventpoll.Backends(), ", "))
	engine := fs.String("engine", "auto", "auto (completion with --backend io_uring, else readiness), readiness (a poller reports readiness; --backend io_uring then means its poller) or completion (io_uring requests: multishot accept and receive, batched sends; falls back to readiness with a log line where io_uring or the configuration does not allow it)")
	trigger := fs.String("trigger", "edge", "edge or level")
	loops := fs.Int("loops", 0, "event loops (0: GOMAXPROCS; print uses 1 unless set)")
	accept := fs.String("accept", "balance", "balance (one acceptor, fewest connections first) or reuseport (a SO_REUSEPORT socket per loop)")
	readBuf := fs.Int("read-buffer", 0, "bytes per read (0: 64 KiB; print: 512, as in the seeds)")
	idle := fs.Duration("idle-timeout", 0, "close connections idle this long (default: never; http: 2m, and 10s to receive each request)")
	grace := fs.Duration("shutdown-timeout", 5*time.Second, "on SIGINT/SIGTERM: stop accepting, answer the requests already received, then close each connection (exit status 0); connections still open after this long are cut and counted in the log (exit status 1)")
	tlsFlags := addServeTLSFlags(fs) // serve_tls.go
	debugAddr := fs.String("debug-addr", "", "serve expvar (/debug/vars: goroutines, memstats) and pprof on this loopback address (\"\": off)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := checkServeFlags(fs, *network, *proto); err != nil { // serve_flags.go
		return err
	}

	s := &reactor.Server{
		Loops:          *loops,
		Backend:        *backend,
		ReadBufferSize: *readBuf,
		IdleTimeout:    *idle,
		Logger:         slog.New(slog.NewTextHandler(stderr, nil)), // accept and loop failures
	}
	switch *engine {
	case "auto":
		if *backend == "io_uring" {
			s.Engine = reactor.EngineCompletion
		}
	case "readiness":
	case "completion":
		s.Engine = reactor.EngineCompletion
	default:
		return fmt.Errorf("unknown --engine %q (want auto, readiness or completion)", *engine)
	}
	switch *trigger {
	case "edge", "et":
		s.Trigger = reactor.Edge
	case "level", "lt":
		s.Trigger = reactor.Level
	default:
		return fmt.Errorf("unknown --trigger %q (want edge or level)", *trigger)
	}
	switch *accept {
	case "balance":
		s.Accept = reactor.AcceptBalance
	case "reuseport":
		s.Accept = reactor.AcceptReusePort
	default:
		return fmt.Errorf("unknown --accept %q (want balance or reuseport)", *accept)
	}
	switch *proto {
	case "echo":
		s.Handler = echoHandler{}
		s.PacketHandler = echoPacketHandler{}
	case "print":
		s.Handler = newPrintHandler(stdout)
		if *readBuf == 0 {
			s.ReadBufferSize = 512
		}
		s.ReadUntilEAGAIN = true
		if *loops == 0 {
			s.Loops = 1
		}
	case "resp":
		h := resp.NewHandler(resp.Config{Limits: resp.Limits{MaxBulkLen: 64 << 20, MaxQueryBuffer: 64 << 20}})
		defer h.Close()
		s.Handler = h
		s.MaxInbound = h.InboundLimit()
	case "http":
		// net/http-like timeouts by default (http1.DefaultReadTimeout,
		// DefaultIdleTimeout): trickling peers are closed without flags.
		h := http1.NewHandler(http1.Config{Handler: http1.Hello(), IdleTimeout: *idle})
		s.Handler = h
		s.MaxInbound = h.InboundLimit()
	default:
		return fmt.Errorf("unknown --proto %q (want echo, print, resp or http)", *proto)
	}
	tlsConfig, err := tlsFlags.config(*proto, stderr)
	if err != nil {
		return err
	}
	s.TLSConfig = tlsConfig

	if *debugAddr != "" {
		stopDebug, err := startDebug(*debugAddr, stderr)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	ln, err := s.Listen(*network, *addr)
	if err != nil {
		return err
	}
	if *network == "unix" {
		// The reactor leaves a Unix socket's file in place; the command
		// that created it removes it.
		defer os.Remove(*addr)
	}
	if l := s.Loop(); l != nil && l.Engine() == reactor.EngineCompletion {
		fmt.Fprintf(stderr, "eventpoll serve: %s on %s %s (completion engine on io_uring, %d loops)\n",
			*proto, *network, ln.Addr(), cmp.Or(s.Loops, runtime.GOMAXPROCS(0)))
	} else {
		fmt.Fprintf(stderr, "eventpoll serve: %s on %s %s (backend %s, %s-triggered, %d loops)\n",
			*proto, *network, ln.Addr(), l.Backend(), s.Trigger, cmp.Or(s.Loops, runtime.GOMAXPROCS(0)))
	}
	if ready != nil {
		ready(ln.Addr().String())
	}

	errc := make(chan error, 1)
	go func() { errc <- s.ServeListener(context.Background(), ln) }()
	select {
	case err := <-errc:
		s.Close()
		if errors.Is(err, reactor.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	err = s.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, reactor.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
