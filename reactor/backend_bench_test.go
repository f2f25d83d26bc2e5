package reactor

import (
	"io"
	"net"
	"testing"

	"github.com/eventpoll/eventpoll"
)

// BenchmarkEchoBackend is BenchmarkEcho's 64-byte round trip on one loop
// for each of epoll and io_uring (when available), both triggers: what the
// readiness loop costs on each Poller backend.
func BenchmarkEchoBackend(b *testing.B) {
	for _, backend := range []string{"epoll", "io_uring"} {
		if p, err := eventpoll.New(backend); err != nil {
			b.Logf("skipping %s: %v", backend, err)
			continue
		} else {
			p.Close()
		}
		for _, trig := range []Trigger{Edge, Level} {
			b.Run(backend+"/"+trig.String(), func(b *testing.B) {
				s := &Server{Handler: &echoHandler{}, Loops: 1, Trigger: trig, Backend: backend}
				addr, _ := serve(b, s, "tcp", "127.0.0.1:0")
				c, err := net.Dial("tcp", addr.String())
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				msg, buf := make([]byte, 64), make([]byte, 64)
				for range 100 {
					c.Write(msg)
					io.ReadFull(c, buf)
				}
				b.SetBytes(64)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if _, err := c.Write(msg); err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(c, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
