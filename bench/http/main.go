// Command httpbench serves the plaintext ("/": Hello, World!) and JSON
// ("/json") benchmark endpoints for side-by-side runs under wrk:
// -server eventpoll (proto/http1 on the reactor), nethttp (net/http) or
// fasthttp (valyala/fasthttp).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/eventpoll/eventpoll/proto/http1"
	"github.com/eventpoll/eventpoll/reactor"
	"github.com/valyala/fasthttp"
)

type message struct {
	Message string `json:"message"`
}

func main() {
	server := flag.String("server", "eventpoll", "eventpoll, nethttp or fasthttp")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	loops := flag.Int("loops", 0, "event loops (eventpoll; 0: GOMAXPROCS)")
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
		s := &reactor.Server{Handler: http1.NewHandler(http1.Config{Handler: http1.Hello()}), Loops: *loops}
		go func() { <-ctx.Done(); s.Close() }()
		err = s.ListenAndServe(ctx, "tcp", *addr)
	case "nethttp":
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("Hello, World!"))
		})
		mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(message{"Hello, World!"})
		})
		srv := &http.Server{Addr: *addr, Handler: mux}
		go func() { <-ctx.Done(); srv.Close() }()
		err = srv.ListenAndServe()
	case "fasthttp":
		srv := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
			switch string(c.Path()) {
			case "/json":
				c.SetContentType("application/json")
				b, _ := json.Marshal(message{"Hello, World!"})
				c.Write(b)
			default:
				c.SetContentType("text/plain")
				c.WriteString("Hello, World!")
			}
		}}
		go func() { <-ctx.Done(); srv.Shutdown() }()
		err = srv.ListenAndServe(*addr)
	default:
		err = fmt.Errorf("unknown server %q", *server)
	}
	if err != nil && ctx.Err() == nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
