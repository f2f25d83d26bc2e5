// Command respbench serves RESP for side-by-side runs under redis-benchmark:
// -server eventpoll (proto/resp on the reactor) or -server redcon
// (tidwall/redcon, a RESP server on Go's net package, with the same
// commands over one mutex-guarded map, as in redcon's own example).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/eventpoll/eventpoll/proto/resp"
	"github.com/eventpoll/eventpoll/reactor"
)

func main() {
	server := flag.String("server", "eventpoll", "eventpoll or redcon")
	addr := flag.String("addr", "127.0.0.1:6390", "listen address")
	loops := flag.Int("loops", 1, "event loops (eventpoll)")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: leave as is)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch *server {
	case "eventpoll":
		h := resp.NewHandler(resp.Config{})
		defer h.Close()
		s := &reactor.Server{Handler: h, Loops: *loops}
		go func() { <-ctx.Done(); s.Close() }()
		err = s.ListenAndServe(ctx, "tcp", *addr)
	case "redcon":
		err = serveRedcon(ctx, *addr)
	default:
		err = fmt.Errorf("unknown server %q", *server)
	}
	if err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}
