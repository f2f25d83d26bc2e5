package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eventpoll/eventpoll/proto/http1"
	"github.com/eventpoll/eventpoll/reactor"
	ltls "github.com/lesismal/llib/std/crypto/tls"
	"github.com/lesismal/nbio"
	ntls "github.com/lesismal/nbio/extension/tls"
	"github.com/valyala/fasthttp"
)

// runTLSServer is the "tlsserver" subcommand: a TLS echo (or HTTPS) server
// until SIGTERM/SIGINT.
//
//	eventpoll       reactor with Server.TLSConfig, echo
//	net             net + crypto/tls, a goroutine per connection, echo
//	nbio            lesismal/nbio with its crypto/tls fork (extension/tls), echo
//	eventpoll-http  reactor + proto/http1 Hello over TLS
//	fasthttp        valyala/fasthttp ListenAndServeTLS, Hello
func runTLSServer(args []string) error {
	fs := flag.NewFlagSet("tlsserver", flag.ContinueOnError)
	impl := fs.String("impl", "eventpoll", "eventpoll, net, nbio, eventpoll-http or fasthttp")
	addr := fs.String("addr", "127.0.0.1:7443", "listen address")
	certFile := fs.String("cert", "", "PEM certificate")
	keyFile := fs.String("key", "", "PEM key")
	loops := fs.Int("loops", 1, "event loops (eventpoll, nbio)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	certPEM, err := os.ReadFile(*certFile)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	switch *impl {
	case "eventpoll", "eventpoll-http":
		s := &reactor.Server{Loops: *loops, TLSConfig: cfg, Handler: echoHandler{}}
		if *impl == "eventpoll-http" {
			h := http1.NewHandler(http1.Config{Handler: http1.Hello()})
			s.Handler = h
			s.MaxInbound = h.InboundLimit()
		}
		err := s.ListenAndServe(ctx, "tcp", *addr)
		if err == context.Canceled {
			return nil
		}
		return err
	case "net":
		ln, err := tls.Listen("tcp", *addr, cfg)
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
				return err
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 16<<10)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	case "nbio":
		lcert, err := ltls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return err
		}
		lcfg := &ltls.Config{Certificates: []ltls.Certificate{lcert}}
		g := nbio.NewEngine(nbio.Config{Network: "tcp", Addrs: []string{*addr}, NPoller: *loops})
		g.OnOpen(ntls.WrapOpen(lcfg, false, nil))
		g.OnClose(ntls.WrapClose(nil))
		g.OnData(ntls.WrapData(func(c *nbio.Conn, tc *ntls.Conn, data []byte) { tc.Write(data) }))
		if err := g.Start(); err != nil {
			return err
		}
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return g.Shutdown(sctx)
	case "fasthttp":
		hello := []byte("Hello, World!")
		srv := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) {
			rc.SetContentType("text/plain")
			rc.Write(hello)
		}}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		go func() { <-ctx.Done(); srv.Shutdown() }()
		return srv.ServeTLSEmbed(ln, certPEM, keyPEM)
	}
	return fmt.Errorf("unknown impl %q", *impl)
}
