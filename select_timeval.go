//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import "golang.org/x/sys/unix"

// selectTimeval waits in unix.Select, select(2) with a struct timeval, for up
// to msec milliseconds (negative: no limit). It is the select backend's call
// on darwin and the BSDs (select_call_bsd.go) and, on Linux, that of the
// select-pipewake backend of this package's tests (select_call_linux.go).
// The result is the number of ready fds, or 0 and the errno (EINTR included,
// for the wait loop to call again).
func (s *selectWaiter) selectTimeval(msec int) (int, error) {
	var tv *unix.Timeval
	if msec >= 0 {
		s.tv = unix.NsecToTimeval(int64(msec) * 1e6)
		tv = &s.tv
	}
	n, err := unix.Select(s.nfds, &s.r, &s.w, &s.x, tv)
	if err != nil {
		return 0, err
	}
	return n, nil
}
