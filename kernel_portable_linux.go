package eventpoll

import "golang.org/x/sys/unix"

// Linux creates descriptors with their flags in one call (socket, pipe2,
// accept4). Tests swap in the fcntl and raw writev variants of the other
// systems (kernel_portable_fcntl*.go, kernel_portable_writev_raw.go).
var portableCalls = calls{
	socket:     socketFlags,
	socketpair: socketpairFlags,
	pipe:       pipe2Flags,
	accept:     accept4Flags,
	writev:     unix.Writev,
}
