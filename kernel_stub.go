//go:build !linux

package eventpoll

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"
)

// DefaultBackend is the backend New uses for the empty name. This platform
// has no host backend: New fails with ErrHostUnsupported.
const DefaultBackend = ""

// ErrHostUnsupported is returned by New and by every method of Host (but
// Now) on a platform whose kernel eventpoll does not drive. It names the
// platform and matches errors.ErrUnsupported. The sim package's Kernel runs
// everywhere.
var ErrHostUnsupported = fmt.Errorf("eventpoll: host kernel not supported on %s/%s: %w", runtime.GOOS, runtime.GOARCH, errors.ErrUnsupported)

// hostErr is the error New returns for a backend nobody registered.
var hostErr = ErrHostUnsupported

// Host returns the Kernel of the running system. On this platform it is a
// placeholder: every call but Now fails with ErrHostUnsupported.
func Host() Kernel { return hostKernel{} }

// hostKernel is the unsupported platform's Kernel.
type hostKernel struct{}

func (hostKernel) NewPoller(backend string) (Poller, error) { return New(backend) }
func (hostKernel) Read(int, []byte) (int, error)            { return 0, ErrHostUnsupported }
func (hostKernel) Write(int, []byte) (int, error)           { return 0, ErrHostUnsupported }
func (hostKernel) Writev(int, [][]byte) (int, error)        { return 0, ErrHostUnsupported }
func (hostKernel) Close(int) error                          { return ErrHostUnsupported }
func (hostKernel) Shutdown(int, int) error                  { return ErrHostUnsupported }
func (hostKernel) Abort(int) error                          { return ErrHostUnsupported }
func (hostKernel) Dup(int) (int, error)                     { return -1, ErrHostUnsupported }
func (hostKernel) ReserveFD() (int, error)                  { return -1, ErrHostUnsupported }
func (hostKernel) RegularFile() (int, error)                { return -1, ErrHostUnsupported }
func (hostKernel) Pipe() (int, int, error)                  { return -1, -1, ErrHostUnsupported }
func (hostKernel) Socketpair() (int, int, error)            { return -1, -1, ErrHostUnsupported }
func (hostKernel) Accept(int) (int, error)                  { return -1, ErrHostUnsupported }
func (hostKernel) Connect(string, string) (int, error)      { return -1, ErrHostUnsupported }
func (hostKernel) SocketError(int) error                    { return ErrHostUnsupported }
func (hostKernel) SetNoDelay(int, bool) error               { return ErrHostUnsupported }
func (hostKernel) SetBuffers(int, int, int) error           { return ErrHostUnsupported }
func (hostKernel) LocalAddr(int) (net.Addr, error)          { return nil, ErrHostUnsupported }
func (hostKernel) RemoteAddr(int) (net.Addr, error)         { return nil, ErrHostUnsupported }
func (hostKernel) RecvFrom(int, []byte) (int, net.Addr, error) {
	return 0, nil, ErrHostUnsupported
}
func (hostKernel) SendTo(int, []byte, net.Addr) (int, error) { return 0, ErrHostUnsupported }
func (hostKernel) Now() time.Time                            { return time.Now() }

func (hostKernel) Listen(string, string, ListenOptions) (int, error) {
	return -1, ErrHostUnsupported
}
