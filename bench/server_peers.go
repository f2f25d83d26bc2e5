package main

import (
	"context"
	"time"

	"github.com/lesismal/nbio"
	"github.com/panjf2000/gnet/v2"
)

// gnetEcho is gnet's echo handler: OnTraffic takes everything buffered and
// writes it back (gnet gathers the writes and flushes them with writev).
type gnetEcho struct {
	gnet.BuiltinEventEngine
	eng gnet.Engine
}

func (h *gnetEcho) OnBoot(eng gnet.Engine) gnet.Action {
	h.eng = eng
	return gnet.None
}

func (h *gnetEcho) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	c.Write(buf)
	return gnet.None
}

// serveGnet is panjf2000/gnet/v2 with cfg.Loops event loops, edge
// triggering as gnet configures it by default on Linux.
func serveGnet(ctx context.Context, cfg serverConfig) error {
	h := &gnetEcho{}
	errc := make(chan error, 1)
	go func() {
		errc <- gnet.Run(h, "tcp://"+cfg.Addr, gnet.WithNumEventLoop(cfg.Loops), gnet.WithReuseAddr(true))
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		h.eng.Stop(sctx)
		return nil
	}
}

// serveNbio is lesismal/nbio with cfg.Loops pollers: OnData gets a view of
// what was read and writes it back.
func serveNbio(ctx context.Context, cfg serverConfig) error {
	g := nbio.NewEngine(nbio.Config{Network: "tcp", Addrs: []string{cfg.Addr}, NPoller: cfg.Loops})
	g.OnData(func(c *nbio.Conn, data []byte) { c.Write(data) })
	if err := g.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return g.Shutdown(sctx)
}
