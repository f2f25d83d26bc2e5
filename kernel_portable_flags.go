//go:build dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import "golang.org/x/sys/unix"

// These systems create sockets and pipes non-blocking and close-on-exec in
// one call (SOCK_NONBLOCK|SOCK_CLOEXEC, pipe2), so no child forked in
// between inherits them.

// socketFlags opens a non-blocking, close-on-exec socket.
func socketFlags(family, sotype int) (int, error) {
	return unix.Socket(family, sotype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

// socketpairFlags returns two connected non-blocking, close-on-exec stream
// sockets.
func socketpairFlags() (a, b int, err error) {
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, err
	}
	return p[0], p[1], nil
}

// pipe2Flags returns the ends of a non-blocking, close-on-exec pipe.
func pipe2Flags() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	return p[0], p[1], nil
}
