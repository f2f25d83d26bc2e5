//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// This file holds the Kernel methods that are the same calls on every Unix:
// socket options, addresses and the clock. Host (on Linux) and PortableHost
// embed sockCalls; datagram I/O is shared through recvFrom and sendTo.

// sockCalls implements the Kernel methods that need no per-system variant.
type sockCalls struct{}

func (sockCalls) SocketError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}

func (sockCalls) SetNoDelay(fd int, noDelay bool) error {
	v := 0
	if noDelay {
		v = 1
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v)
}

func (sockCalls) SetBuffers(fd int, recv, send int) error {
	if recv > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, recv); err != nil {
			return err
		}
	}
	if send > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, send); err != nil {
			return err
		}
	}
	return nil
}

func (sockCalls) LocalAddr(fd int) (net.Addr, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, err
	}
	return sockaddrToAddr(fd, sa), nil
}

func (sockCalls) RemoteAddr(fd int) (net.Addr, error) {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return nil, err
	}
	return sockaddrToAddr(fd, sa), nil
}

func (sockCalls) Now() time.Time { return time.Now() }

// recvFrom reads one datagram and its sender; EAGAIN re-arms emulated edges.
func recvFrom(fd int, p []byte) (int, net.Addr, error) {
	for {
		n, sa, err := unix.Recvfrom(fd, p, 0)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			noteWouldBlock(fd, Readable)
		}
		if err != nil {
			return 0, nil, err
		}
		return n, sockaddrToAddr(fd, sa), nil
	}
}

// sendTo sends one datagram to addr with the given send flags; EAGAIN
// re-arms emulated edges.
func sendTo(fd int, p []byte, addr net.Addr, flags int) (int, error) {
	sa, err := addrToSockaddr(addr)
	if err != nil {
		return 0, err
	}
	for {
		err = unix.Sendto(fd, p, flags, sa)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			noteWouldBlock(fd, Writable)
		}
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
}
