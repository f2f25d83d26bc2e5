package eventpoll

import (
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds the Linux system calls of the emulated backends: the wake
// eventfd and ppoll(2), and the translation of poll(2) bits. A poller whose
// wakePipe is set (only tests make one, see emulatePipeWake) uses instead
// what the other systems use: a wake pipe and unix.Poll (and, for select,
// unix.Select: select_call_linux.go), and poll(2) bits without POLLRDHUP
// (pollbits.go).

// emulatePipeWake names the backends whose pollers use the wake pipe and
// unix.Poll (select: unix.Select), as on the other systems. Only tests set
// it, before any poller is made.
var emulatePipeWake []string

// emuPipeWake reports whether pollers of the named backend use the wake pipe.
func emuPipeWake(name string) bool {
	return slices.Contains(emulatePipeWake, name)
}

// openWake creates the wake descriptor of an emulated poller: an eventfd,
// or a pipe when pipe is set. r is the end waited on, w the end written.
func openWake(pipe bool) (r, w int, isPipe bool, err error) {
	if pipe {
		r, w, err = openWakePipe()
		return r, w, true, err
	}
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	return fd, fd, false, err
}

// poll waits on fds for up to msec milliseconds (negative: no limit) with
// ppoll(2), or with unix.Poll where the poller uses the wake pipe.
func (e *emu) poll(fds []unix.PollFd, msec int) (int, error) {
	if e.wakePipe {
		return pollMsec(fds, msec)
	}
	return ppoll(fds, msec)
}

// emuRdhupBit returns the bit an emulated poller asks poll(2) for ReadHangup
// with: POLLRDHUP, or 0 for the backends that use the wake pipe (only tests
// make them: emulatePipeWake), which take the translation of darwin and the
// BSDs too (pollbits.go), so that one backend runs their whole path.
func emuRdhupBit(name string) int16 {
	if emuPipeWake(name) {
		return 0
	}
	return unix.POLLRDHUP
}

// pollEvents translates conditions to poll(2) request bits: Linux's
// (pollEvents), or without POLLRDHUP as on darwin and the BSDs.
func (e *emu) pollEvents(ev Events) int16 {
	if e.rdhupBit == 0 {
		return pollEventsBSD(ev, 0)
	}
	return pollEvents(ev)
}

// fromPoll translates poll(2) result bits to conditions: Linux's (fromPoll),
// or without POLLRDHUP as on darwin and the BSDs.
func (e *emu) fromPoll(revents int16) Events {
	if e.rdhupBit == 0 {
		return fromPollBSD(revents, 0)
	}
	return fromPoll(revents)
}

// pollEvents translates conditions to poll(2) request bits. The values of
// POLLIN, POLLPRI, POLLOUT and POLLRDHUP equal their EPOLL* counterparts;
// POLLERR and POLLHUP are always reported and need not be asked for.
func pollEvents(ev Events) int16 {
	return int16(toEpoll(ev & (Readable | Priority | Writable | ReadHangup)))
}

// fromPoll translates poll(2) result bits to conditions.
func fromPoll(revents int16) Events {
	return fromEpoll(uint32(uint16(revents)))
}

// ppoll calls ppoll(2) (poll(2) with a timespec; the same kernel code) with a
// timeout in milliseconds, negative for none.
func ppoll(fds []unix.PollFd, msec int) (int, error) {
	var ts unix.Timespec
	var tsp unsafe.Pointer
	if msec >= 0 {
		ts = unix.NsecToTimespec(int64(msec) * 1e6)
		tsp = unsafe.Pointer(&ts)
	}
	var p unsafe.Pointer
	if len(fds) > 0 {
		p = unsafe.Pointer(&fds[0])
	}
	r, _, errno := unix.Syscall6(unix.SYS_PPOLL, uintptr(p), uintptr(len(fds)), uintptr(tsp), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}
