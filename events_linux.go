package eventpoll

import "golang.org/x/sys/unix"

// Translation between Events and the bits of epoll_event and of poll(2) on
// Linux, where POLLIN..POLLHUP and POLLRDHUP equal their EPOLL* namesakes.
// Readable, Priority, Writable, Error and Hangup have the kernel's values;
// ReadHangup and the modes move by a fixed shift. The arrays below fail to
// compile if any of that stops holding.
const (
	lowConditions = Readable | Priority | Writable | Error | Hangup
	rdhupShift    = 8  // ReadHangup << 8 == EPOLLRDHUP == POLLRDHUP
	etShift       = 23 // EdgeTriggered << 23 == EPOLLET
	oneShotShift  = 21 // OneShot << 21 == EPOLLONESHOT
	exclShift     = 18 // Exclusive << 18 == EPOLLEXCLUSIVE
)

var (
	_ = [1]int{}[uint32(Readable)^unix.EPOLLIN|uint32(Priority)^unix.EPOLLPRI|uint32(Writable)^unix.EPOLLOUT]
	_ = [1]int{}[uint32(Error)^unix.EPOLLERR|uint32(Hangup)^unix.EPOLLHUP]
	_ = [1]int{}[uint32(Readable)^unix.POLLIN|uint32(Priority)^unix.POLLPRI|uint32(Writable)^unix.POLLOUT]
	_ = [1]int{}[uint32(Error)^unix.POLLERR|uint32(Hangup)^unix.POLLHUP]
	_ = [1]int{}[uint32(ReadHangup)<<rdhupShift^unix.EPOLLRDHUP|uint32(ReadHangup)<<rdhupShift^unix.POLLRDHUP]
	_ = [1]int{}[uint32(EdgeTriggered)<<etShift^unix.EPOLLET|uint32(OneShot)<<oneShotShift^unix.EPOLLONESHOT]
	_ = [1]int{}[uint32(Exclusive)<<exclShift^unix.EPOLLEXCLUSIVE]
)

// toEpoll translates conditions and modes to epoll_event.events bits.
func toEpoll(ev Events) uint32 {
	return uint32(ev&lowConditions) | uint32(ev&ReadHangup)<<rdhupShift |
		uint32(ev&EdgeTriggered)<<etShift | uint32(ev&OneShot)<<oneShotShift | uint32(ev&Exclusive)<<exclShift
}

// fromEpoll translates reported epoll_event.events (or poll revents) bits to
// conditions; bits with no counterpart (POLLNVAL, POLLRDNORM ...) are dropped.
func fromEpoll(e uint32) Events {
	return Events(e)&lowConditions | Events(e>>rdhupShift)&ReadHangup
}
