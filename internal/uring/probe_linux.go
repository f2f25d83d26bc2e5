package uring

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Probe lists the operations the running kernel supports for a ring
// (IORING_REGISTER_PROBE).
type Probe struct {
	// LastOp is the highest opcode the kernel knows.
	LastOp uint8
	ops    [256]bool
}

// Supported reports whether the kernel supports opcode op.
func (p *Probe) Supported(op uint8) bool { return p.ops[op] }

// probeOpSupported is IO_URING_OP_SUPPORTED in struct io_uring_probe_op.
const probeOpSupported = 1 << 0

// Probe asks the kernel which operations it supports. An error wraps the
// errno of io_uring_register(2) (EINVAL on kernels before 5.6).
func (r *Ring) Probe() (*Probe, error) {
	// struct io_uring_probe: last_op, ops_len, resv, resv2[3], then
	// ops_len struct io_uring_probe_op {op, resv, flags u16, resv2 u32}.
	const hdr, opSize, nops = 16, 8, 256
	buf := make([]byte, hdr+opSize*nops)
	if err := r.register(registerProbe, "REGISTER_PROBE", unsafe.Pointer(&buf[0]), nops); err != nil {
		return nil, err
	}
	p := &Probe{LastOp: buf[0]}
	n := int(buf[1])
	for i := 0; i < n && i < nops; i++ {
		op := buf[hdr+i*opSize]
		flags := *(*uint16)(unsafe.Pointer(&buf[hdr+i*opSize+2]))
		if flags&probeOpSupported != 0 {
			p.ops[op] = true
		}
	}
	return p, nil
}

// register calls io_uring_register(2) with opcode op (named name in the
// error) on arg and nargs.
func (r *Ring) register(op uintptr, name string, arg unsafe.Pointer, nargs uintptr) error {
	if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), op, uintptr(arg), nargs, 0, 0); errno != 0 {
		return fmt.Errorf("io_uring_register(IORING_%s): %w", name, errno)
	}
	return nil
}
