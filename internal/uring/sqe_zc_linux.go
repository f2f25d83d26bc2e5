package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Zero-copy sends: the kernel sends from the program's pages instead of
// copying them, and tells when it no longer uses them with a second
// completion.

// Opcodes of the zero-copy sends (Linux 6.0 and 6.1).
const (
	OpSendZC    uint8 = 47
	OpSendmsgZC uint8 = 48
)

// CQEFNotif is IORING_CQE_F_NOTIF: the completion is the notification of
// a zero-copy send that its buffers are free again.
const CQEFNotif uint32 = 1 << 3

// Notif reports whether c is a zero-copy send's notification (its Res is
// 0; the send's result came in the completion before it).
func (c *CQE) Notif() bool { return c.Flags&CQEFNotif != 0 }

// PrepSendZC makes s a zero-copy send(2) of p on fd with the MSG_* flags
// in flags. Its first completion carries the result; when that one has
// CQEFMore, a second one with CQEFNotif and the same user data follows once
// the kernel no longer reads p, and p must stay untouched until then. A
// socket that cannot send without copying (AF_UNIX) fails it with
// EOPNOTSUPP.
func (s *SQE) PrepSendZC(fd int, p []byte, flags uint32, userData uint64) {
	*s = SQE{Opcode: OpSendZC, Fd: int32(fd), Addr: bufAddr(p), Len: uint32(len(p)),
		OpFlags: flags, UserData: userData}
}

// PrepSendmsgZC makes s a zero-copy sendmsg(2) of msg on fd, with the two
// completions of PrepSendZC; msg, its iovec array and the buffers must stay
// untouched until the notification.
func (s *SQE) PrepSendmsgZC(fd int, msg *unix.Msghdr, flags uint32, userData uint64) {
	*s = SQE{Opcode: OpSendmsgZC, Fd: int32(fd), Addr: uint64(uintptr(unsafe.Pointer(msg))), Len: 1,
		OpFlags: flags, UserData: userData}
}
