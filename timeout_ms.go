//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import "time"

// ms returns the milliseconds to pass to the next system call: -1 for ever,
// 0 for at once, otherwise the time left rounded up.
func (d deadline) ms() int {
	switch {
	case d.timeout < 0:
		return -1
	case d.timeout == 0:
		return 0
	}
	return durationToMs(time.Until(d.end))
}

// expired reports whether a positive timeout has fully elapsed; an
// infinite or zero timeout never asks to retry.
func (d deadline) expired() bool {
	return d.timeout <= 0 || !time.Now().Before(d.end)
}

// durationToMs rounds a positive duration up to whole milliseconds and
// clamps it to what the system calls accept.
func durationToMs(left time.Duration) int {
	if left <= 0 {
		return 0
	}
	ms := (left + time.Millisecond - 1) / time.Millisecond
	if ms > 1<<31-1 {
		ms = 1<<31 - 1
	}
	return int(ms)
}
