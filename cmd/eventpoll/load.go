package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/loadgen"
	"golang.org/x/term"
)

func init() {
	register("load", "drive a server with a pipelined load and verify every reply", runLoad)
}

func runLoad(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	progress := term.IsTerminal(int(os.Stderr.Fd()))
	return loadMain(ctx, args, os.Stdout, os.Stderr, progress)
}

func loadMain(ctx context.Context, args []string, stdout, stderr io.Writer, progress bool) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.Config
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:7000", "server address (host:port, or a path with --network unix)")
	fs.StringVar(&cfg.Network, "network", "tcp", "tcp, tcp4, tcp6 or unix")
	fs.IntVar(&cfg.Conns, "conns", 1, "connections")
	fs.IntVar(&cfg.Depth, "depth", 1, "requests in flight per connection (pipelining)")
	fs.IntVar(&cfg.Size, "size", 64, "payload bytes per message")
	fs.StringVar(&cfg.Proto, "proto", "echo", "echo (bytes echoed verbatim), line ('\\n'-terminated lines), resp (SET/GET, replies checked byte for byte) or http (GET /, status 200 and Content-Length framing checked; --size unused)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "how long to send (default 5s unless --requests is set)")
	fs.Int64Var(&cfg.Requests, "requests", 0, "total messages to send (split over the connections)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: total messages/s (0: closed loop, as fast as replies allow)")
	fs.DurationVar(&cfg.Drain, "drain", 5*time.Second, "wait this long for in-flight replies after sending stops")
	fs.StringVar(&cfg.Engine, "engine", "", "client engine: eventpoll (event loops on this library; the default) or net (goroutines; the default with --rate)")
	fs.StringVar(&cfg.Backend, "backend", eventpoll.DefaultBackend, "poller backend of the eventpoll engine: "+strings.Join(eventpoll.Backends(), ", "))
	fs.IntVar(&cfg.Workers, "workers", 0, "event loops of the eventpoll engine (0: GOMAXPROCS)")
	jsonOut := fs.Bool("json", false, "print the result as one JSON object")
	quiet := fs.Bool("quiet", false, "no progress line even on a terminal")
	tlsFlags := addLoadTLSFlags(fs) // load_tls.go
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.TLS, err = tlsFlags.config(); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := checkLoadFlags(&cfg); err != nil { // flagcheck.go
		return err
	}
	if progress && !*quiet {
		cfg.Progress = func(s loadgen.Snapshot) {
			sec := s.Elapsed.Seconds()
			fmt.Fprintf(stderr, "\r%5.1fs  %10d msgs  %10.0f msgs/s  %8.1f MB/s  %d errors   ",
				sec, s.Msgs, float64(s.Msgs)/sec, float64(s.Bytes)/sec/1e6, s.Errors)
		}
	}
	res, err := loadgen.Run(ctx, cfg)
	if cfg.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if *jsonOut {
		if err := json.NewEncoder(stdout).Encode(res); err != nil {
			return err
		}
	} else {
		printLoad(stdout, res)
	}
	if res.Errors > 0 {
		return fmt.Errorf("%d errors (first: %v)", res.Errors, res.ErrorSamples)
	}
	return nil
}

func printLoad(w io.Writer, r *loadgen.Result) {
	fmt.Fprintf(w, "%s %s (%s engine): %d conns x depth %d x %d B", r.Proto, r.Addr, r.Engine, r.Conns, r.Depth, r.Size)
	if r.Rate > 0 {
		fmt.Fprintf(w, ", open loop at %.0f msgs/s", r.Rate)
	}
	fmt.Fprintf(w, ", %.2fs\n", r.Seconds)
	fmt.Fprintf(w, "  %d msgs verified, %.0f msgs/s, %.1f MB/s, %d errors\n", r.Msgs, r.MsgsPerSec, r.MBPerSec, r.Errors)
	l := r.Latency
	fmt.Fprintf(w, "  latency µs: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f  mean %.0f\n",
		l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
	for _, e := range r.ErrorSamples {
		fmt.Fprintln(w, "  error:", e)
	}
}
