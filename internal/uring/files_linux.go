package uring

import (
	"unsafe"
)

// Registered (fixed) files: a table of file references the ring holds, so
// that a request naming a slot (SQEFixedFile) skips the lookup and the
// reference count of its descriptor.

// OpFilesUpdate is IORING_OP_FILES_UPDATE: a change of the registered file
// table made in the submission queue.
const OpFilesUpdate uint8 = 20

// SQE flags (IOSQE_*) for registered files and skipped completions.
const (
	SQEFixedFile      uint8 = 1 << 0
	SQECQESkipSuccess uint8 = 1 << 6
)

// io_uring_register opcodes and flags for the file table.
const (
	unregisterFiles     = 3
	registerFiles2      = 13
	rsrcRegisterSparse  = 1 << 0 // IORING_RSRC_REGISTER_SPARSE
	rsrcRegisterArgSize = 32     // struct io_uring_rsrc_register
)

// rsrcRegister is struct io_uring_rsrc_register.
type rsrcRegister struct {
	nr    uint32
	flags uint32
	_     uint64
	data  uint64
	tags  uint64
}

var _ [rsrcRegisterArgSize - unsafe.Sizeof(rsrcRegister{})]byte

// RegisterFilesSparse gives the ring a table of n empty file slots
// (IORING_REGISTER_FILES2 with IORING_RSRC_REGISTER_SPARSE, Linux 5.19);
// PrepFilesUpdate fills and clears them. An error wraps the errno of
// io_uring_register(2): EMFILE when n exceeds RLIMIT_NOFILE or the
// kernel's 1<<20, EBUSY when the ring has a table already, EINVAL on
// kernels without sparse tables.
func (r *Ring) RegisterFilesSparse(n uint32) error {
	arg := rsrcRegister{nr: n, flags: rsrcRegisterSparse}
	return r.register(registerFiles2, "REGISTER_FILES2", unsafe.Pointer(&arg), rsrcRegisterArgSize)
}

// UnregisterFiles drops the ring's file table and the references it holds
// (IORING_UNREGISTER_FILES).
func (r *Ring) UnregisterFiles() error {
	return r.register(unregisterFiles, "UNREGISTER_FILES", nil, 0)
}

// PrepFilesUpdate makes s the update of the file table slots from slot on
// with the descriptors in fds (-1 clears a slot). The kernel reads fds
// when it takes the entry from the queue (the Enter that submits it), and
// applies the update then, before the entries that follow; fds must stay
// untouched until then. Res is the number of slots updated.
func (s *SQE) PrepFilesUpdate(fds []int32, slot int, userData uint64) {
	*s = SQE{Opcode: OpFilesUpdate, Fd: -1, Addr: uint64(uintptr(unsafe.Pointer(unsafe.SliceData(fds)))),
		Len: uint32(len(fds)), Off: uint64(slot), UserData: userData}
}

// SetFixedFile makes the prepared s name slot slot of the file table
// instead of a descriptor.
func (s *SQE) SetFixedFile(slot int) {
	s.Fd = int32(slot)
	s.Flags |= SQEFixedFile
}
