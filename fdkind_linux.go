package eventpoll

import "sync/atomic"

// notSocketFDs bounds the descriptor numbers whose kind is remembered; a
// larger descriptor is always tried as a socket first.
const notSocketFDs = 1 << 16

// notSocket has a bit set for each descriptor known not to be a socket (a
// pipe made by Pipe, or one whose sendmsg failed with ENOTSOCK), so that
// Write and Writev go straight to write(2) and writev(2) instead of a
// failing sendmsg first. Kernel calls that create or close a descriptor keep
// its bit exact. A bit left stale by a descriptor closed elsewhere only
// costs the socket that reuses the number MSG_NOSIGNAL: it is written with
// write(2), which the Go runtime turns into EPIPE rather than a fatal
// SIGPIPE for every descriptor but 1 and 2.
var notSocket [notSocketFDs / 64]atomic.Uint64

func isNotSocket(fd int) bool {
	if uint(fd) >= notSocketFDs {
		return false
	}
	return notSocket[fd/64].Load()&(1<<(uint(fd)%64)) != 0
}

func markNotSocket(fd int, v bool) {
	if uint(fd) >= notSocketFDs {
		return
	}
	bit := uint64(1) << (uint(fd) % 64)
	w := &notSocket[fd/64]
	if v {
		w.Or(bit)
	} else if w.Load()&bit != 0 {
		w.And(^bit)
	}
}
