package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/signal"
	"time"

	"github.com/eventpoll/eventpoll/loadgen"
)

// clientResult is a load result plus the client's own CPU use, so a reader
// can tell when the client, not the server, was the bottleneck.
type clientResult struct {
	loadgen.Result
	ClientCPUSeconds float64 `json:"client_cpu_seconds"`
}

// runClient is the "client" subcommand: one load run, result as JSON.
func runClient(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	var cfg loadgen.Config
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:7000", "server address")
	fs.IntVar(&cfg.Conns, "conns", 100, "connections")
	fs.IntVar(&cfg.Depth, "depth", 1, "requests in flight per connection")
	fs.IntVar(&cfg.Size, "size", 64, "payload bytes")
	fs.DurationVar(&cfg.Duration, "duration", 3*time.Second, "run time")
	fs.DurationVar(&cfg.Drain, "drain", 2*time.Second, "wait for in-flight replies after the run")
	fs.StringVar(&cfg.Engine, "engine", "eventpoll", "load engine: eventpoll or net")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	before := selfCPU()
	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	out := clientResult{Result: *res, ClientCPUSeconds: selfCPU() - before}
	return json.NewEncoder(os.Stdout).Encode(out)
}
