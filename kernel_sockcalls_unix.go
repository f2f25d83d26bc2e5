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

// sockMaker is what listen and connect need of a Kernel: how it creates a
// non-blocking close-on-exec socket, closes one, and sets SO_REUSEPORT (or
// the system's balancing variant).
type sockMaker struct {
	socket    func(family, sotype int) (int, error)
	close     func(fd int) error
	reusePort func(fd int) error
}

// listen implements Kernel.Listen for Host and PortableHost.
func (k sockMaker) listen(network, address string, opts ListenOptions) (int, error) {
	family, sotype, sa, err := resolve(network, address, true)
	if err != nil {
		return -1, err
	}
	fd, err := k.socket(family, sotype)
	if err == unix.EAFNOSUPPORT && family == unix.AF_INET6 && (network == "tcp" || network == "udp") {
		// No IPv6 on this host: a wildcard listen falls back to IPv4.
		if a := sa.(*unix.SockaddrInet6); a.Addr == ([16]byte{}) {
			family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: a.Port}
			fd, err = k.socket(family, sotype)
		}
	}
	if err != nil {
		return -1, err
	}
	if family != unix.AF_UNIX {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			k.close(fd)
			return -1, err
		}
		if family == unix.AF_INET6 {
			// "tcp6" binds IPv6 only; "tcp" on [::] accepts both (where the
			// system allows dual-stack sockets; OpenBSD does not).
			v6only := 0
			if network == "tcp6" || network == "udp6" {
				v6only = 1
			}
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only)
		}
	}
	if opts.ReusePort {
		if err := k.reusePort(fd); err != nil {
			k.close(fd)
			return -1, err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		k.close(fd)
		return -1, err
	}
	if sotype == unix.SOCK_STREAM {
		backlog := opts.Backlog
		if backlog <= 0 {
			backlog = unix.SOMAXCONN
		}
		if err := unix.Listen(fd, backlog); err != nil {
			k.close(fd)
			return -1, err
		}
	}
	return fd, nil
}

// connect implements Kernel.Connect for Host and PortableHost.
func (k sockMaker) connect(network, address string) (int, error) {
	family, sotype, sa, err := resolve(network, address, false)
	if err != nil {
		return -1, err
	}
	fd, err := k.socket(family, sotype)
	if err != nil {
		return -1, err
	}
	err = unix.Connect(fd, sa)
	switch err {
	case nil:
		return fd, nil
	case unix.EINPROGRESS, unix.EINTR, unix.EAGAIN:
		// EAGAIN: a unix socket whose listener's queue is full.
		return fd, unix.EINPROGRESS
	default:
		k.close(fd)
		return -1, err
	}
}
