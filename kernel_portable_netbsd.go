package eventpoll

// NetBSD creates sockets and pipes with their flags in one call; x/sys/unix
// has neither Accept4 (accepted sockets are marked with fcntl) nor Writev
// for it.
var portableCalls = calls{
	socket:     socketFlags,
	socketpair: socketpairFlags,
	pipe:       pipe2Flags,
	accept:     acceptFcntl,
	writev:     writevRaw,
}
