//go:build unix

package reactor

import (
	"syscall"
	"testing"

	"github.com/eventpoll/eventpoll"
	"golang.org/x/sys/unix"
)

// silentKernel reads without telling the emulating backends about EAGAIN,
// as a Kernel other than Host may: the loop itself re-arms them.
type silentKernel struct{ eventpoll.Kernel }

func (silentKernel) Read(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err == syscall.EINTR {
			continue
		}
		return max(n, 0), err
	}
}

func TestEmulatedEdgeOnSilentKernel(t *testing.T) {
	for _, backend := range []string{"poll", "select"} {
		t.Run(backend, func(t *testing.T) {
			s := &Server{Handler: &echoHandler{}, Loops: 1, Backend: backend, Trigger: Edge,
				Kernel: silentKernel{eventpoll.Host()}, ReadBufferSize: 4 << 10}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			streamMany(t, "tcp", addr.String(), 50, 256<<10)
		})
	}
}
