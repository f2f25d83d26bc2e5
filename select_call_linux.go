package eventpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds the select backend's system call on Linux: pselect6(2),
// with a timespec and no signal mask. A poller that uses the wake pipe
// (select-pipewake, registered only by this package's tests, see
// emulatePipeWake) calls unix.Select instead, as darwin and the BSDs do
// (select_timeval.go).

// selectTimeout is where a Wait keeps the timeout it passes to the kernel:
// pselect6's timespec, or unix.Select's timeval.
type selectTimeout struct {
	ts unix.Timespec
	tv unix.Timeval
}

func (s *selectWaiter) wait(msec int) (int, error) {
	if s.be.timeval {
		return s.selectTimeval(msec)
	}
	var tsp unsafe.Pointer
	if msec >= 0 {
		s.ts = unix.NsecToTimespec(int64(msec) * 1e6)
		tsp = unsafe.Pointer(&s.ts)
	}
	r, _, errno := unix.Syscall6(unix.SYS_PSELECT6, uintptr(s.nfds),
		uintptr(unsafe.Pointer(&s.r)), uintptr(unsafe.Pointer(&s.w)), uintptr(unsafe.Pointer(&s.x)),
		uintptr(tsp), 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}
