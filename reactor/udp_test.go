package reactor

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"
)

// udpEcho sends every datagram back to its sender.
type udpEcho struct{}

func (udpEcho) OnPacket(pc *PacketConn, p []byte, from net.Addr) { pc.WriteTo(p, from) }

func TestUDPEcho(t *testing.T) {
	for _, m := range modes() {
		for _, network := range []string{"udp4", "udp6"} {
			t.Run(m.String()+"/"+network, func(t *testing.T) {
				host := "127.0.0.1:0"
				if network == "udp6" {
					host = "[::1]:0"
					if c, err := net.ListenPacket("udp6", host); err != nil {
						t.Skipf("no IPv6 loopback: %v", err)
					} else {
						c.Close()
					}
				}
				s := &Server{PacketHandler: udpEcho{}, Loops: 2, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
				addr, _ := serve(t, s, network, host)
				c, err := net.Dial(network, addr.String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				buf := make([]byte, 2000)
				for i := 0; i < 50; i++ {
					msg := bytes.Repeat(fmt.Appendf(nil, "%d,", i), i+1)
					var n int
					for try := 0; ; try++ {
						c.Write(msg)
						c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
						n, err = c.Read(buf)
						if err == nil || try == 5 {
							break
						}
					}
					if err != nil || !bytes.Equal(buf[:n], msg) {
						t.Fatalf("datagram %d: got %q, %v", i, buf[:n], err)
					}
				}
			})
		}
	}
}
