package reactor

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestNoLeakAfterClose runs a server with open stream connections, a
// dialled connection and a datagram socket, closes it, and checks that no
// goroutine and no descriptor is left.
func TestNoLeakAfterClose(t *testing.T) {
	for _, shutdown := range []bool{false, true} {
		name := "Close"
		if shutdown {
			name = "Shutdown"
		}
		t.Run(name, func(t *testing.T) {
			// Warm up the net package (its own poller stays open for the
			// life of the process) before counting.
			if c, err := net.Dial("udp", "127.0.0.1:9"); err == nil {
				c.Close()
			}
			opt := goleak.IgnoreCurrent()
			fds := countFDs(t)

			s := &Server{Handler: &echoHandler{}, PacketHandler: udpEcho{}, Loops: 3}
			ln, err := s.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			pl, err := s.Listen("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			errs := make(chan error, 2)
			go func() { errs <- s.ServeListener(context.Background(), ln) }()
			go func() { errs <- s.ServeListener(context.Background(), pl) }()
			for i := 0; i < 10; i++ {
				if err := streamOne("tcp", ln.Addr().String(), uint64(i), 10000); err != nil {
					t.Fatal(err)
				}
			}
			// Connections still open at Close: server side and a Dial.
			var open []net.Conn
			for i := 0; i < 5; i++ {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				open = append(open, c)
			}
			dc, err := s.Dial("tcp", ln.Addr().String(), &echoHandler{})
			if err != nil {
				t.Fatal(err)
			}
			_ = dc
			if shutdown {
				go func() {
					// Peers close when they see the server's FIN.
					for _, c := range open {
						c.SetReadDeadline(time.Now().Add(5 * time.Second))
						c.Read(make([]byte, 1))
						c.Close()
					}
				}()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := s.Shutdown(ctx); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
			} else {
				s.Close()
			}
			for i := 0; i < 2; i++ {
				if err := <-errs; err != ErrServerClosed {
					t.Fatalf("ServeListener: %v", err)
				}
			}
			for _, c := range open {
				c.Close()
			}
			goleak.VerifyNone(t, opt)
			if n := countFDs(t); n != fds {
				t.Fatalf("%d descriptors open after Close, %d before", n, fds)
			}
		})
	}
}
