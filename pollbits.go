//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

// This file translates conditions to and from poll(2) bits on darwin and the
// BSDs (emulate_sys_bsd.go uses it there), whose poll(2) has no POLLRDHUP
// except on recent FreeBSD (pollrdhup_freebsd.go; another value than Linux's).
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

// pollRequestBits pairs the conditions that are asked for with their poll(2)
// bits, the same in both directions.
var pollRequestBits = [...]struct {
	ev  Events
	bit int16
}{{Readable, pollIn}, {Priority, pollPri}, {Writable, pollOut}}

// pollEventsBSD translates conditions to poll(2) request bits on darwin and
// the BSDs. rdhup is the system's POLLRDHUP where its poll(2) reports a
// peer's write shutdown with it (FreeBSD's, once probed: pollrdhup_freebsd.go),
// and 0 where it has none: then ReadHangup asks for nothing of its own and is
// reported with Hangup (see fromPollBSD). Error and Hangup (POLLERR and
// POLLHUP) are always reported and need not be asked for.
func pollEventsBSD(ev Events, rdhup int16) int16 {
	var b int16
	for _, m := range pollRequestBits {
		if ev&m.ev != 0 {
			b |= m.bit
		}
	}
	if ev&ReadHangup != 0 {
		b |= rdhup
	}
	return b
}

// fromPollBSD translates poll(2) result bits to conditions on darwin and the
// BSDs; rdhup is as for pollEventsBSD. POLLHUP (the peer closed; nothing
// more will be read) is Hangup and ReadHangup. The rdhup bit, where there is
// one, is ReadHangup: the peer shut down its writing side. Where there is
// none, a peer that shut down only its writing side shows as Readable
// (POLLIN), and a read returns 0: Capabilities.ReadHangup is false. POLLNVAL
// has no condition: the backends handle it before translating.
func fromPollBSD(revents, rdhup int16) Events {
	var ev Events
	for _, m := range pollRequestBits {
		if revents&m.bit != 0 {
			ev |= m.ev
		}
	}
	if revents&pollErr != 0 {
		ev |= Error
	}
	if revents&pollHup != 0 {
		ev |= Hangup | ReadHangup
	}
	if rdhup != 0 && revents&rdhup != 0 {
		ev |= ReadHangup
	}
	return ev
}
