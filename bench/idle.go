package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// runIdle is the "idle" subcommand: it opens conns connections, echoes one
// message on each (so the server has served them, not merely accepted
// them), prints "ready", and holds them open until stdin closes.
func runIdle(args []string) error {
	fs := flag.NewFlagSet("idle", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:7000", "server address")
	conns := fs.Int("conns", 10000, "connections to hold")
	size := fs.Int("size", 64, "bytes echoed once per connection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cs := make([]net.Conn, *conns)
	msg := make([]byte, *size)
	for i := range msg {
		msg[i] = byte('a' + i%26)
	}
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i := range cs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", *addr, 10*time.Second)
			if err == nil {
				cs[i] = c
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err = c.Write(msg); err == nil {
					got := make([]byte, len(msg))
					_, err = io.ReadFull(c, got)
				}
				c.SetDeadline(time.Time{})
			}
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range cs {
			if c != nil {
				c.Close()
			}
		}
	}()
	if firstErr != nil {
		return firstErr
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return nil
}
