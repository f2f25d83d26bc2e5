//go:build darwin || linux

package eventpoll

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// socketFcntl opens a socket and marks it non-blocking and close-on-exec
// with fcntl (see kernel_portable_fcntl.go).
func socketFcntl(family, sotype int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := unix.Socket(family, sotype, 0)
	if err != nil {
		return -1, err
	}
	if err := cloexecNonblock(fd); err != nil {
		return -1, err
	}
	return fd, nil
}

// socketpairFcntl returns two connected stream sockets marked non-blocking
// and close-on-exec with fcntl.
func socketpairFcntl() (a, b int, err error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, -1, err
	}
	return cloexecNonblockPair(p)
}

// pipeFcntl returns the ends of a pipe marked non-blocking and
// close-on-exec with fcntl.
func pipeFcntl() (r, w int, err error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return -1, -1, err
	}
	return cloexecNonblockPair(p)
}

// cloexecNonblockPair marks both descriptors of a new pair non-blocking and
// close-on-exec; on failure both are closed.
func cloexecNonblockPair(p [2]int) (a, b int, err error) {
	if err := cloexecNonblock(p[0]); err != nil {
		unix.Close(p[1])
		return -1, -1, err
	}
	if err := cloexecNonblock(p[1]); err != nil {
		unix.Close(p[0])
		return -1, -1, err
	}
	return p[0], p[1], nil
}
