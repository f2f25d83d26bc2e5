package main

import (
	"context"
	"fmt"
	"time"

	"github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/reactor"
)

// echoHandler writes back whatever arrives.
type echoHandler struct{}

func (echoHandler) OnOpen(*reactor.Conn) {}

func (echoHandler) OnData(c *reactor.Conn) {
	c.Write(c.Next(c.Buffered()))
}

func (echoHandler) OnClose(*reactor.Conn, error) {}

// serveEventpoll is this project's reactor with the chosen backend,
// trigger mode and number of loops.
func serveEventpoll(ctx context.Context, cfg serverConfig) error {
	s := &reactor.Server{Handler: echoHandler{}, Loops: cfg.Loops, Backend: cfg.Backend}
	if cfg.Raw {
		s.Kernel = rawKernel{eventpoll.Host()}
	}
	switch cfg.Trigger {
	case "et":
		s.Trigger = reactor.Edge
	case "lt":
		s.Trigger = reactor.Level
	case "cq":
		s.Engine = reactor.EngineCompletion
	default:
		return fmt.Errorf("unknown trigger %q (want et, lt or cq)", cfg.Trigger)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe(ctx, "tcp", cfg.Addr) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Shutdown(sctx)
		return nil
	}
}
