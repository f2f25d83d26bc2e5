package http1_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/internal/enginetest"
	"github.com/eventpoll/eventpoll/proto/http1"
	"github.com/eventpoll/eventpoll/reactor"
)

// closeRecorder passes OnClose's error to a channel.
type closeRecorder struct {
	*http1.ServerHandler
	errc chan error
}

func (h closeRecorder) OnClose(c *reactor.Conn, err error) {
	h.ServerHandler.OnClose(c, err)
	select {
	case h.errc <- err:
	default:
	}
}

func timeoutServer(t *testing.T, cfg http1.Config) (string, chan error) {
	t.Helper()
	cfg.Handler = http1.Hello()
	sh := http1.NewHandler(cfg)
	h := closeRecorder{sh, make(chan error, 1)}
	s := &reactor.Server{Handler: h, Loops: 1, Engine: enginetest.Engine(), MaxInbound: sh.InboundLimit()}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeListener(context.Background(), ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String(), h.errc
}

// TestReadTimeoutSlowloris: a peer that trickles a request's head, one
// byte at a time well within any idle timeout, is closed once ReadTimeout
// has passed since the request began; a prompt keep-alive client is not.
func TestReadTimeoutSlowloris(t *testing.T) {
	addr, errc := timeoutServer(t, http1.Config{ReadTimeout: 600 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	head := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + string(make([]byte, 100))
	for i := 0; i < len(head); i++ {
		if _, err := c.Write([]byte{head[i] | 'a'}); err != nil {
			break // closed
		}
		time.Sleep(50 * time.Millisecond)
		select {
		case err := <-errc:
			if !errors.Is(err, reactor.ErrDeadline) {
				t.Fatalf("closed with %v, want ErrDeadline", err)
			}
			if d := time.Since(start); d < 500*time.Millisecond || d > 3*time.Second {
				t.Fatalf("closed after %v, want about 600ms", d)
			}
			return
		default:
		}
	}
	t.Fatal("the trickling peer was never closed")
}

// TestReadTimeoutKeepAlive: requests that each arrive promptly keep a
// connection open past ReadTimeout, and an idle keep-alive connection is
// closed after IdleTimeout.
func TestReadTimeoutKeepAlive(t *testing.T) {
	addr, errc := timeoutServer(t, http1.Config{ReadTimeout: 300 * time.Millisecond, IdleTimeout: 800 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 4096)
	for i := 0; i < 6; i++ { // 6 x 150 ms: past ReadTimeout, within IdleTimeout each time
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	idle := time.Now()
	select {
	case err := <-errc:
		if !errors.Is(err, reactor.ErrIdleTimeout) {
			t.Fatalf("closed with %v, want ErrIdleTimeout", err)
		}
		if d := time.Since(idle); d < 400*time.Millisecond {
			t.Fatalf("closed %v after the last request, want about 800ms", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the idle connection was never closed")
	}
}
