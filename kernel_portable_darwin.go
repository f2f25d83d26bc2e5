package eventpoll

import "golang.org/x/sys/unix"

// darwin has neither SOCK_NONBLOCK|SOCK_CLOEXEC nor pipe2, and x/sys/unix
// has no accept4 for it: descriptors are marked with fcntl. It has no
// MSG_NOSIGNAL that every release honours either: every socket gets
// SO_NOSIGPIPE instead.
var portableCalls = calls{
	socket:     socketFcntl,
	socketpair: socketpairFcntl,
	pipe:       pipeFcntl,
	accept:     acceptFcntl,
	writev:     unix.Writev,
}

// msgNoSignal is the flag passed to send calls; SO_NOSIGPIPE does its work here.
const msgNoSignal = 0

// noSIGPIPE sets SO_NOSIGPIPE, so that writes to a reset peer fail with
// EPIPE instead of raising SIGPIPE.
func noSIGPIPE(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
}
