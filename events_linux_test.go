package eventpoll

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestEpollTranslation checks every condition and mode against the kernel's
// bit and that conditions survive the round trip through epoll's bits.
func TestEpollTranslation(t *testing.T) {
	cases := []struct {
		ev   Events
		bits uint32
	}{
		{Readable, unix.EPOLLIN}, {Priority, unix.EPOLLPRI}, {Writable, unix.EPOLLOUT},
		{Error, unix.EPOLLERR}, {Hangup, unix.EPOLLHUP}, {ReadHangup, unix.EPOLLRDHUP},
		{EdgeTriggered, unix.EPOLLET}, {OneShot, unix.EPOLLONESHOT}, {Exclusive, unix.EPOLLEXCLUSIVE},
	}
	var all uint32
	for _, c := range cases {
		if got := toEpoll(c.ev); got != c.bits {
			t.Errorf("toEpoll(%v) = %#x, want %#x", c.ev, got, c.bits)
		}
		all |= c.bits
	}
	if got := toEpoll(conditionMask | modeMask); got != all {
		t.Errorf("toEpoll(all) = %#x, want %#x", got, all)
	}
	for ev := Events(0); ev <= conditionMask; ev++ {
		if ev&^conditionMask != 0 {
			continue
		}
		if got := fromEpoll(toEpoll(ev)); got != ev {
			t.Errorf("fromEpoll(toEpoll(%v)) = %v", ev, got)
		}
	}
	// poll's bits with no Events counterpart (NVAL, RDNORM 0x40, WRNORM 0x100) are dropped.
	if got := fromPoll(unix.POLLNVAL | 0x40 | 0x100 | unix.POLLIN); got != Readable {
		t.Errorf("fromPoll(NVAL|RDNORM|WRNORM|IN) = %v, want readable", got)
	}
	if got := pollEvents(conditionMask | modeMask); got != unix.POLLIN|unix.POLLPRI|unix.POLLOUT|unix.POLLRDHUP {
		t.Errorf("pollEvents(all) = %#x", got)
	}
}
