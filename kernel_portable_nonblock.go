//go:build dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import "golang.org/x/sys/unix"

// These systems create sockets and pipes non-blocking and close-on-exec in
// one call (SOCK_NONBLOCK|SOCK_CLOEXEC, pipe2), so no child forked in
// between inherits them.

// socketNonblock opens a non-blocking, close-on-exec socket.
func socketNonblock(family, sotype int) (int, error) {
	return unix.Socket(family, sotype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

// socketpairNonblock returns two connected non-blocking, close-on-exec
// stream sockets.
func socketpairNonblock() (a, b int, err error) {
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	return p[0], p[1], err
}

// pipeNonblock returns the ends of a non-blocking, close-on-exec pipe.
func pipeNonblock() (r, w int, err error) {
	var p [2]int
	err = unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC)
	return p[0], p[1], err
}
