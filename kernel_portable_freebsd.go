package eventpoll

import "golang.org/x/sys/unix"

// setReusePort lets several sockets bind one address and spreads
// connections among them: FreeBSD's SO_REUSEPORT only shares the address,
// SO_REUSEPORT_LB (FreeBSD 12 and later) balances.
func setReusePort(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT_LB, 1)
}
