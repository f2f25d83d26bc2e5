//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventpoll

import "golang.org/x/sys/unix"

// This file holds the system calls of the emulated backends on darwin and
// the BSDs: the wake descriptor is a pipe (emulate_wake.go) and the wait is
// unix.Poll, poll(2) with a timeout in milliseconds.

// emuPipeWake reports whether pollers of the named backend use the wake
// pipe: here every one does.
func emuPipeWake(string) bool { return true }

// openWake creates the wake pipe of an emulated poller: r is the end waited
// on, w the end written.
func openWake(bool) (r, w int, isPipe bool, err error) {
	r, w, err = openWakePipe()
	return r, w, true, err
}

// poll waits on fds for up to msec milliseconds (negative: no limit).
func (e *emu) poll(fds []unix.PollFd, msec int) (int, error) {
	return pollMsec(fds, msec)
}

// pollEvents translates conditions to poll(2) request bits. These systems
// have no POLLRDHUP: ReadHangup asks for nothing of its own and is reported
// with Hangup (see fromPoll). POLLERR and POLLHUP are always reported and
// need not be asked for.
func pollEvents(ev Events) int16 {
	var b int16
	if ev&Readable != 0 {
		b |= unix.POLLIN
	}
	if ev&Priority != 0 {
		b |= unix.POLLPRI
	}
	if ev&Writable != 0 {
		b |= unix.POLLOUT
	}
	return b
}

// fromPoll translates poll(2) result bits to conditions. POLLHUP (the peer
// closed; nothing more will be read) is Hangup and ReadHangup; a peer that
// shut down only its writing side shows as Readable, and a read returns 0.
func fromPoll(revents int16) Events {
	var ev Events
	if revents&unix.POLLIN != 0 {
		ev |= Readable
	}
	if revents&unix.POLLPRI != 0 {
		ev |= Priority
	}
	if revents&unix.POLLOUT != 0 {
		ev |= Writable
	}
	if revents&unix.POLLERR != 0 {
		ev |= Error
	}
	if revents&unix.POLLHUP != 0 {
		ev |= Hangup | ReadHangup
	}
	return ev
}
