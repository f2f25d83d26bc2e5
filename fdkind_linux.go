package eventpoll

import "sync/atomic"

// fdKindMax bounds the descriptor numbers whose kind is remembered; a
// larger descriptor gets the general path (sendmsg tried first, a system
// call that tells the Go scheduler it may block).
const fdKindMax = 1 << 20

// fdBits is one bit per descriptor number, safe for concurrent use. Its
// 128 KiB are untouched (no memory in use) until a descriptor in a page of
// it is marked.
type fdBits [fdKindMax / 64]atomic.Uint64

func (b *fdBits) has(fd int) bool {
	if uint(fd) >= fdKindMax {
		return false
	}
	return b[fd/64].Load()&(1<<(uint(fd)%64)) != 0
}

func (b *fdBits) set(fd int, v bool) {
	if uint(fd) >= fdKindMax {
		return
	}
	bit := uint64(1) << (uint(fd) % 64)
	w := &b[fd/64]
	if v {
		if w.Load()&bit == 0 {
			w.Or(bit)
		}
	} else if w.Load()&bit != 0 {
		w.And(^bit)
	}
}

// notSocket marks each descriptor known not to be a socket (a pipe made by
// Pipe, or one whose sendmsg failed with ENOTSOCK), so that Write and Writev
// go straight to write(2) and writev(2) instead of a failing sendmsg first.
//
// nonBlocking marks each descriptor the host Kernel created non-blocking
// (Pipe, Socketpair, Listen, Accept, Connect, and their Dups). Read, Write
// and Writev on those cannot block, so they are issued as raw system calls,
// which skip the Go scheduler's hand-off around a call that might (the
// runtime's entersyscall and exitsyscall, and the sysmon thread's polling
// of goroutines sitting in system calls).
//
// Kernel calls that create or close a descriptor keep both bits exact. A
// descriptor made by the Kernel must therefore be closed through it
// (Close or Abort); one closed elsewhere leaves its bits behind for the
// next descriptor with that number.
var notSocket, nonBlocking fdBits

// newFD records a descriptor the Kernel just created non-blocking.
func newFD(fd int, socket bool) {
	notSocket.set(fd, !socket)
	nonBlocking.set(fd, true)
}

// forgetFD clears what is known about a descriptor being closed.
func forgetFD(fd int) {
	notSocket.set(fd, false)
	nonBlocking.set(fd, false)
}
