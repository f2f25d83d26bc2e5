//go:build dragonfly || freebsd || linux || netbsd

package eventpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// writevRaw writes bufs (at most portableGatherMax, none empty) in order with
// one writev(2), issued by number: golang.org/x/sys/unix has no Writev on
// FreeBSD, NetBSD and DragonFly.
func writevRaw(fd int, bufs [][]byte) (int, error) {
	var iov [portableGatherMax]unix.Iovec
	n := 0
	for _, b := range bufs[:min(len(bufs), len(iov))] {
		iov[n].Base = &b[0]
		iov[n].SetLen(len(b))
		n++
	}
	r, _, e := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(n))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
