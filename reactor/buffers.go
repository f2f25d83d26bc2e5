package reactor

import (
	"math/bits"
	"sync"
)

// Byte buffers are pooled by size class (powers of two from minBufSize to
// maxPooledSize) so that connections borrow memory only while they hold
// unconsumed input or unsent output, and give it back when they are idle.
const (
	minBufShift   = 12 // 4 KiB
	maxBufShift   = 26 // 64 MiB
	minBufSize    = 1 << minBufShift
	maxPooledSize = 1 << maxBufShift
)

var bufPools [maxBufShift - minBufShift + 1]sync.Pool

// sizeClass returns the pool index for a buffer of at least n bytes, or -1
// when n is too large to pool.
func sizeClass(n int) int {
	if n <= minBufSize {
		return 0
	}
	if n > maxPooledSize {
		return -1
	}
	return bits.Len(uint(n-1)) - minBufShift
}

// getBuf returns a buffer with capacity >= n and length 0... cap; the caller
// slices it as it needs.
func getBuf(n int) *[]byte {
	c := sizeClass(n)
	if c < 0 {
		b := make([]byte, n)
		return &b
	}
	if 1<<(c+minBufShift) >= largeBuf {
		lendLarge(1 << (c + minBufShift))
	}
	if v := bufPools[c].Get(); v != nil {
		return v.(*[]byte)
	}
	b := make([]byte, 1<<(c+minBufShift))
	return &b
}

// putBuf returns a buffer obtained from getBuf to its pool.
func putBuf(b *[]byte) {
	if b == nil {
		return
	}
	n := cap(*b)
	c := sizeClass(n)
	if c < 0 || n != 1<<(c+minBufShift) {
		return // not a pooled size: let the garbage collector have it
	}
	if n >= largeBuf {
		lendLarge(-n)
	}
	*b = (*b)[:n]
	bufPools[c].Put(b)
}
