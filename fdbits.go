//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

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
