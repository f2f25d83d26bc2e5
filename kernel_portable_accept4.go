//go:build dragonfly || freebsd || linux

package eventpoll

import "golang.org/x/sys/unix"

// acceptNonblock takes one pending connection as a non-blocking,
// close-on-exec socket with accept4.
func acceptNonblock(fd int) (int, error) {
	nfd, _, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	return nfd, err
}
