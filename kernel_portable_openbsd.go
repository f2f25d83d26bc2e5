package eventpoll

import "golang.org/x/sys/unix"

// OpenBSD creates sockets and pipes with their flags in one call;
// x/sys/unix has no Accept4 for it (accepted sockets are marked with fcntl).
var portableCalls = calls{
	socket:     socketFlags,
	socketpair: socketpairFlags,
	pipe:       pipe2Flags,
	accept:     acceptFcntl,
	writev:     unix.Writev,
}
