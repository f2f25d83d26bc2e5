//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventpoll

import "golang.org/x/sys/unix"

// This file holds the select backend's system call on darwin and the BSDs:
// unix.Select, with a timeval (select_timeval.go).

// selectTimeout is where a Wait keeps the timeout it passes to the kernel.
type selectTimeout struct {
	tv unix.Timeval
}

func (s *selectWaiter) wait(msec int) (int, error) {
	return s.selectTimeval(msec)
}
