//go:build dragonfly || freebsd || linux

package eventpoll

import "golang.org/x/sys/unix"

// accept4Flags takes one pending connection as a non-blocking,
// close-on-exec socket with accept4.
func accept4Flags(fd int) (int, error) {
	nfd, _, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, err
	}
	return nfd, nil
}
