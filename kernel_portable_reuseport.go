//go:build darwin || dragonfly || linux || netbsd || openbsd

package eventpoll

import "golang.org/x/sys/unix"

// setReusePort lets several sockets bind one address (SO_REUSEPORT). Linux
// spreads connections among them; elsewhere which socket gets a connection
// is the system's own rule (darwin, NetBSD and OpenBSD do not balance).
func setReusePort(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}
