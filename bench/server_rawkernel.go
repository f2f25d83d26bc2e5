package main

import (
	"unsafe"

	"github.com/eventpoll/eventpoll"
	"golang.org/x/sys/unix"
)

// rawKernel is the experiment that led eventpoll.Host to issue reads and
// writes on its own non-blocking descriptors as raw system calls (and to
// harvest epoll without blocking first); it is kept for comparison. It is
// the host kernel with the calls that cannot
// block on non-blocking sockets (read, send, sendmsg) issued as raw system
// calls, which skip the Go runtime's entersyscall/exitsyscall. It measures
// how much of the reactor's cost is the runtime's system call hand-off
// (bench server --raw). (A Wait(0) before each blocking Wait is not
// possible from outside the poller: a Wait(0) that returns 0 may have
// consumed a Wake.)
type rawKernel struct{ eventpoll.Kernel }

func (rawKernel) Read(fd int, b []byte) (int, error) {
	for {
		var ptr unsafe.Pointer
		if len(b) > 0 {
			ptr = unsafe.Pointer(&b[0])
		}
		r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(b)))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}

func (k rawKernel) Write(fd int, b []byte) (int, error) {
	return k.Writev(fd, [][]byte{b})
}

func (k rawKernel) Writev(fd int, bufs [][]byte) (int, error) {
	var iov [64]unix.Iovec
	n := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if n == len(iov) {
			break
		}
		iov[n].Base = &b[0]
		iov[n].SetLen(len(b))
		n++
	}
	if n == 0 {
		return 0, nil
	}
	msg := unix.Msghdr{Iov: &iov[0]}
	msg.SetIovlen(n)
	for {
		r, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_NOSIGNAL)
		if e == unix.ENOTSOCK {
			return k.Kernel.Writev(fd, bufs)
		}
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}
