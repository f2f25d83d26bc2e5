//go:build !darwin && !dragonfly && !freebsd && !linux && !netbsd && !openbsd

package eventpoll

import (
	"net"
	"time"
)

// Host returns the Kernel of the running system. Outside Linux, darwin and
// the BSDs it is a placeholder: NewPoller is New, Now is time.Now, and every
// other call fails with ErrHostUnsupported; run the portable layers on sim's
// Kernel there.
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
