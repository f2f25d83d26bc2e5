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

// pollEvents translates conditions to poll(2) request bits (pollbits.go).
// These systems have no POLLRDHUP (FreeBSD: where the kernel has none, see
// pollrdhup_freebsd.go): ReadHangup asks for nothing of its own and is
// reported with Hangup (see fromPoll).
func (e *emu) pollEvents(ev Events) int16 { return pollEventsBSD(ev, e.rdhupBit) }

// fromPoll translates poll(2) result bits to conditions (pollbits.go).
// POLLHUP (the peer closed; nothing more will be read) is Hangup and
// ReadHangup. Without POLLRDHUP, a peer that shut down only its writing side
// shows as Readable, and a read returns 0 (Capabilities.ReadHangup is false).
func (e *emu) fromPoll(revents int16) Events { return fromPollBSD(revents, e.rdhupBit) }

// The bits of pollbits.go are this system's: an index out of range, and the
// build fails, where one differs.
var (
	_ = [1]struct{}{}[unix.POLLIN^pollIn]
	_ = [1]struct{}{}[unix.POLLPRI^pollPri]
	_ = [1]struct{}{}[unix.POLLOUT^pollOut]
	_ = [1]struct{}{}[unix.POLLERR^pollErr]
	_ = [1]struct{}{}[unix.POLLHUP^pollHup]
	_ = [1]struct{}{}[unix.POLLNVAL^pollNval]
)
