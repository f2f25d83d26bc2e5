package eventpoll

import "golang.org/x/sys/unix"

// FreeBSD creates descriptors with their flags in one call; x/sys/unix has
// no Writev for it.
var portableCalls = calls{
	socket:     socketFlags,
	socketpair: socketpairFlags,
	pipe:       pipe2Flags,
	accept:     accept4Flags,
	writev:     writevRaw,
}

// setReusePort lets several sockets bind one address and spreads
// connections among them: FreeBSD's SO_REUSEPORT only shares the address,
// SO_REUSEPORT_LB (FreeBSD 12 and later) balances.
func setReusePort(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT_LB, 1)
}
