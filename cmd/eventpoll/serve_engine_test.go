package main

import (
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/reactor"
)

// TestServeCompletionEngine: serve --backend io_uring runs the completion
// engine (where io_uring allows it) and echoes; --engine readiness keeps
// the io_uring poller.
func TestServeCompletionEngine(t *testing.T) {
	probe := &reactor.Server{Engine: reactor.EngineCompletion, Loops: 1}
	available := probe.Loop() != nil && probe.Loop().Engine() == reactor.EngineCompletion
	probe.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "io_uring"}, "completion engine on io_uring"},
		{[]string{"--backend", "io_uring", "--engine", "readiness"}, "backend io_uring"},
		{[]string{"--engine", "completion", "--proto", "resp"}, "completion engine on io_uring"},
	} {
		if !available && strings.Contains(tc.want, "completion") {
			tc.want = "backend epoll"
		}
		args := append([]string{"--addr", "127.0.0.1:0", "--loops", "2"}, tc.args...)
		errOut := new(syncBuffer)
		ctx, cancel := context.WithCancel(context.Background())
		readyc := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- serveMain(ctx, args, io.Discard, errOut, func(a string) { readyc <- a }) }()
		var addr string
		select {
		case addr = <-readyc:
		case err := <-done:
			cancel()
			t.Fatalf("serve %v: %v\n%s", args, err, errOut.String())
		case <-time.After(10 * time.Second):
			cancel()
			t.Fatal("serve did not start")
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		msg, want := "hello\n", "hello\n"
		if slices.Contains(tc.args, "resp") {
			msg, want = "PING\r\n", "+PONG\r\n"
		}
		c.Write([]byte(msg))
		buf := make([]byte, len(want))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != want {
			t.Errorf("serve %v: got %q, %v", args, buf, err)
		}
		c.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve %v: %v", args, err)
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("serve %v: log lacks %q:\n%s", args, tc.want, errOut.String())
		}
	}
}
