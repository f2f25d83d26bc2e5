package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"syscall"
	"time"

	"github.com/cloudwego/netpoll"
)

// serverConfig selects an echo server implementation and its tuning.
type serverConfig struct {
	Impl    string // "eventpoll", "net", "netpoll", "gnet", "nbio"
	Addr    string
	Backend string // eventpoll: "epoll", "poll", "select"
	Trigger string // eventpoll: "et", "lt", or "cq" (the completion engine)
	Loops   int    // eventpoll and netpoll: event loops (0: one per CPU)
	// Raw selects the rawKernel experiment (eventpoll only).
	Raw bool
	// StatsFile, if set, receives the heap allocation count on SIGUSR1.
	StatsFile string
}

// runServer is the "server" subcommand: it serves echo until SIGTERM/SIGINT.
func runServer(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	var cfg serverConfig
	fs.StringVar(&cfg.Impl, "impl", "net", "eventpoll, net, netpoll, gnet, nbio or goraw (echo.c in Go: the Go floor)")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:7000", "listen address")
	fs.StringVar(&cfg.Backend, "backend", "epoll", "eventpoll backend")
	fs.StringVar(&cfg.Trigger, "trigger", "et", "eventpoll trigger mode: et or lt, or cq for the completion engine (io_uring)")
	fs.IntVar(&cfg.Loops, "loops", 1, "event loops (eventpoll, netpoll; 0: GOMAXPROCS)")
	fs.BoolVar(&cfg.Raw, "raw", false, "eventpoll: raw system calls for reads and writes on non-blocking sockets (experiment)")
	fs.StringVar(&cfg.StatsFile, "stats-file", "", "on SIGUSR1, write \"SEQ ALLOCS\" (heap objects allocated so far) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Loops <= 0 {
		cfg.Loops = runtime.GOMAXPROCS(0)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if cfg.StatsFile != "" {
		go serveStats(ctx, cfg.StatsFile)
	}
	switch cfg.Impl {
	case "net":
		return serveNet(ctx, cfg)
	case "netpoll":
		return serveNetpoll(ctx, cfg)
	case "eventpoll":
		return serveEventpoll(ctx, cfg)
	case "gnet":
		return serveGnet(ctx, cfg)
	case "nbio":
		return serveNbio(ctx, cfg)
	case "goraw":
		return serveGoRaw(ctx, cfg)
	}
	return fmt.Errorf("unknown impl %q", cfg.Impl)
}

// serveNet is Go's standard library: one goroutine per connection copying
// what it reads back.
func serveNet(ctx context.Context, cfg serverConfig) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 16<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					if err != io.EOF {
						return
					}
					return
				}
			}
		}()
	}
}

// serveNetpoll is cloudwego/netpoll: its event loops call onRequest when a
// connection has input; the handler copies it to the connection's writer.
func serveNetpoll(ctx context.Context, cfg serverConfig) error {
	if err := netpoll.Configure(netpoll.Config{PollerNum: cfg.Loops}); err != nil {
		return err
	}
	ln, err := netpoll.CreateListener("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	loop, err := netpoll.NewEventLoop(func(_ context.Context, c netpoll.Connection) error {
		r, w := c.Reader(), c.Writer()
		n := r.Len()
		if n == 0 {
			return nil
		}
		in, err := r.Next(n)
		if err != nil {
			return err
		}
		out, err := w.Malloc(n)
		if err != nil {
			return err
		}
		copy(out, in)
		if err := r.Release(); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- loop.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return loop.Shutdown(sctx)
	}
}

// serveStats writes "SEQ ALLOCS" to file on each SIGUSR1: a sequence number
// and the heap objects allocated since the process started, so the harness
// can count allocations per echoed message.
func serveStats(ctx context.Context, file string) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	defer signal.Stop(ch)
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	for seq := 1; ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
		metrics.Read(sample)
		tmp := file + ".tmp"
		line := fmt.Sprintf("%d %d\n", seq, sample[0].Value.Uint64())
		if os.WriteFile(tmp, []byte(line), 0o644) == nil {
			os.Rename(tmp, file)
		}
	}
}
