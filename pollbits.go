//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

// This file translates conditions to and from poll(2) bits for the systems
// without POLLRDHUP: darwin and the BSDs (emulate_sys_bsd.go uses it there).
// It is pure and built on Linux too, so that its table is tested here
// (pollbits_test.go). The bits have the same values on Linux, darwin and
// every BSD x/sys/unix supports; emulate_sys_bsd.go checks, when it is
// built, that they equal that system's unix.POLL* constants.

// The poll(2) bits this file uses.
const (
	pollIn   = 0x1  // POLLIN: data to read, or end of file
	pollPri  = 0x2  // POLLPRI: out-of-band data
	pollOut  = 0x4  // POLLOUT: writing will not block
	pollErr  = 0x8  // POLLERR: an error is pending (always reported)
	pollHup  = 0x10 // POLLHUP: the peer is gone (always reported)
	pollNval = 0x20 // POLLNVAL: the fd is not open (always reported)
)

// pollEventsNoRdhup translates conditions to poll(2) request bits where
// poll has no POLLRDHUP: ReadHangup asks for nothing of its own and is
// reported with Hangup (see fromPollNoRdhup). Error and Hangup (POLLERR and
// POLLHUP) are always reported and need not be asked for.
func pollEventsNoRdhup(ev Events) int16 {
	var b int16
	if ev&Readable != 0 {
		b |= pollIn
	}
	if ev&Priority != 0 {
		b |= pollPri
	}
	if ev&Writable != 0 {
		b |= pollOut
	}
	return b
}

// fromPollNoRdhup translates poll(2) result bits to conditions where poll
// has no POLLRDHUP. POLLHUP (the peer closed; nothing more will be read) is
// Hangup and ReadHangup; a peer that shut down only its writing side shows
// as Readable (POLLIN), and a read returns 0. POLLNVAL has no condition:
// the backends handle it before translating.
func fromPollNoRdhup(revents int16) Events {
	var ev Events
	if revents&pollIn != 0 {
		ev |= Readable
	}
	if revents&pollPri != 0 {
		ev |= Priority
	}
	if revents&pollOut != 0 {
		ev |= Writable
	}
	if revents&pollErr != 0 {
		ev |= Error
	}
	if revents&pollHup != 0 {
		ev |= Hangup | ReadHangup
	}
	return ev
}
