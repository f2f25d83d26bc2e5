//go:build freebsd || linux

package eventpoll

import "golang.org/x/sys/unix"

// rdhupProbe reports whether poll(2) reports bit, asked for on a stream
// socket whose peer shut down its writing side: it makes a socket pair,
// shuts down one end's writing side and polls the other, without blocking.
// FreeBSD calls it with its POLLRDHUP (pollrdhup_freebsd.go); Linux tests it
// with both systems' values (pollbits_test.go). An error gives false: the
// weaker, shared meaning.
func rdhupProbe(bit int16) bool {
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(sp[0])
	defer unix.Close(sp[1])
	if err := unix.Shutdown(sp[1], unix.SHUT_WR); err != nil {
		return false
	}
	fds := []unix.PollFd{{Fd: int32(sp[0]), Events: bit}}
	for {
		_, err = unix.Poll(fds, 0)
		if err != unix.EINTR {
			break
		}
	}
	return err == nil && fds[0].Revents&bit != 0
}
