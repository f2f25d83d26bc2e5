package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// More opcodes (enum io_uring_op) for the completion engine.
const (
	OpSendmsg     uint8 = 9
	OpAccept      uint8 = 13
	OpAsyncCancel uint8 = 14
	OpRead        uint8 = 22
	OpSend        uint8 = 26
	OpRecv        uint8 = 27
)

// SQEBufferSelect is IOSQE_BUFFER_SELECT: the request takes its buffer
// from a provided-buffer group.
const SQEBufferSelect uint8 = 1 << 5

// Flags carried in SQE.IoPrio by accept and recv (IORING_ACCEPT_MULTISHOT,
// IORING_RECV_MULTISHOT).
const (
	AcceptMultishot uint16 = 1 << 0
	RecvMultishot   uint16 = 1 << 1
)

// CQEBufferShift is IORING_CQE_BUFFER_SHIFT: a completion that used a
// provided buffer (CQEFBuffer) carries its id in Flags >> CQEBufferShift.
const CQEBufferShift = 16

// BufferID returns the provided buffer the completion used and whether it
// used one.
func (c *CQE) BufferID() (uint16, bool) {
	return uint16(c.Flags >> CQEBufferShift), c.Flags&CQEFBuffer != 0
}

// PrepAcceptMultishot makes s a multishot accept on the listening socket
// fd: one completion per accepted connection (Res is its descriptor,
// opened with SOCK_NONBLOCK and SOCK_CLOEXEC) for as long as the request's
// completions carry CQEFMore.
func (s *SQE) PrepAcceptMultishot(fd int, userData uint64) {
	*s = SQE{Opcode: OpAccept, Fd: int32(fd), IoPrio: AcceptMultishot,
		OpFlags: unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC, UserData: userData}
}

// PrepRecvMultishot makes s a multishot receive on fd into buffers picked
// by the kernel from the provided-buffer group group: one completion per
// receive, each naming its buffer (CQE.BufferID). Res 0 is end of file; the
// request ends on an error, at end of file, or when the group runs out of
// buffers (Res -ENOBUFS), and then its last completion lacks CQEFMore.
func (s *SQE) PrepRecvMultishot(fd int, group uint16, userData uint64) {
	*s = SQE{Opcode: OpRecv, Fd: int32(fd), IoPrio: RecvMultishot, Flags: SQEBufferSelect,
		BufIndex: group, UserData: userData}
}

// PrepSend makes s a send(2) of p on fd with the MSG_* flags in flags. p
// must stay untouched until the completion arrives.
func (s *SQE) PrepSend(fd int, p []byte, flags uint32, userData uint64) {
	*s = SQE{Opcode: OpSend, Fd: int32(fd), Addr: bufAddr(p), Len: uint32(len(p)),
		OpFlags: flags, UserData: userData}
}

// PrepSendmsg makes s a sendmsg(2) of msg on fd with the MSG_* flags in
// flags. msg, its iovec array and the buffers must stay untouched until the
// completion arrives.
func (s *SQE) PrepSendmsg(fd int, msg *unix.Msghdr, flags uint32, userData uint64) {
	*s = SQE{Opcode: OpSendmsg, Fd: int32(fd), Addr: uint64(uintptr(unsafe.Pointer(msg))), Len: 1,
		OpFlags: flags, UserData: userData}
}

// PrepRead makes s a read(2) of up to len(p) bytes from fd (at the file
// position). p must stay untouched until the completion arrives.
func (s *SQE) PrepRead(fd int, p []byte, userData uint64) {
	*s = SQE{Opcode: OpRead, Fd: int32(fd), Addr: bufAddr(p), Len: uint32(len(p)),
		Off: ^uint64(0), UserData: userData}
}

// Flags of PrepCancel.
const (
	AsyncCancelAll uint32 = 1 << 0 // IORING_ASYNC_CANCEL_ALL: every match, not the first
	AsyncCancelAny uint32 = 1 << 2 // IORING_ASYNC_CANCEL_ANY: every request matches (target unused)
)

// PrepCancel makes s the cancellation of the request submitted with user
// data target (flags: AsyncCancelAll, AsyncCancelAny; 0 for the first
// match). Its own completion carries userData and Res 0, -ENOENT when
// nothing matched, -EALREADY when the request was running; with
// AsyncCancelAll, Res is how many were cancelled.
func (s *SQE) PrepCancel(target uint64, flags uint32, userData uint64) {
	*s = SQE{Opcode: OpAsyncCancel, Fd: -1, Addr: target, OpFlags: flags, UserData: userData}
}

func bufAddr(p []byte) uint64 {
	if len(p) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&p[0])))
}
