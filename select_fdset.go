//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file reads the select backend's fd_sets a 64-bit word at a time on
// every system. x/sys/unix gives each system's fd_set as FdSet.Bits, an
// array whose element type and length differ: [16]int64 on 64-bit Linux,
// [32]int32 on 32-bit Linux and on darwin, [16]uint64 on 64-bit FreeBSD and
// on DragonFly, [32]uint32 on 32-bit FreeBSD and on OpenBSD, [8]uint32 on
// NetBSD (256 bits, see fdsetsize_netbsd.go).

// fdSetElemBits is the width of one element of unix.FdSet.Bits.
const fdSetElemBits = int(unsafe.Sizeof(unix.FdSet{}.Bits[0])) * 8

// fdSetBits is the number of fds a unix.FdSet holds.
const fdSetBits = len(unix.FdSet{}.Bits) * fdSetElemBits

// fdSetWords is the number of 64-bit words setWord reads from a set.
const fdSetWords = fdSetBits / 64

// FDSetSize must be what a unix.FdSet holds: the array lengths below are
// negative, and the build fails, if it is not.
var (
	_ [FDSetSize - fdSetBits]struct{}
	_ [fdSetBits - FDSetSize]struct{}
)

// setWord returns fds [64k, 64k+64) of s as one 64-bit word (bit i: fd
// 64k+i), whatever the element width and signedness of the system's fd_set.
func setWord(s *unix.FdSet, k int) uint64 {
	const per = 64 / fdSetElemBits
	const mask = ^uint64(0) >> (64 - fdSetElemBits)
	var u uint64
	for j := 0; j < per; j++ {
		u |= (uint64(s.Bits[k*per+j]) & mask) << (j * fdSetElemBits)
	}
	return u
}
