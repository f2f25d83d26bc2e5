package uring

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// io_uring_register opcodes for provided-buffer rings and ring enabling.
const (
	registerEnableRings = 12
	registerPbufRing    = 22
	unregisterPbufRing  = 23
	bufRingEntrySize    = 16 // struct io_uring_buf
	bufRingTailOffset   = 14 // the tail shares the last word of entry 0
	maxBufRingEntries   = 1 << 15
	bufRegSize          = 40 // struct io_uring_buf_reg
)

// BufRing is a provided-buffer ring (IORING_REGISTER_PBUF_RING): a ring of
// buffer descriptors shared with the kernel, from which requests submitted
// with SQEBufferSelect and the ring's group id take a buffer when data
// arrives. The program gives buffers (back) with Add and makes them visible
// with Publish. The ring and the buffers are memory of their own, mapped
// anonymously, so the Go garbage collector never moves or frees them.
//
// A BufRing is used by one goroutine, the one that owns its Ring.
type BufRing struct {
	ring    *Ring
	group   uint16
	entries uint32
	size    int

	mem   []byte // the descriptor ring
	bufs  []byte // entries*size bytes of buffers
	tail  uint16 // entries added, published by Publish
	added bool
}

// NewBufRing registers a provided-buffer ring of group id group on r with
// entries buffers (a power of two up to 32768) of size bytes each, all
// handed to the kernel. It fails with an error wrapping EINVAL on kernels
// before 5.19 (no buffer rings).
func NewBufRing(r *Ring, group uint16, entries uint32, size int) (*BufRing, error) {
	if entries == 0 || entries > maxBufRingEntries || entries&(entries-1) != 0 {
		return nil, fmt.Errorf("uring: %d buffer ring entries: want a power of two up to %d", entries, maxBufRingEntries)
	}
	if size <= 0 {
		return nil, fmt.Errorf("uring: buffer size %d", size)
	}
	b := &BufRing{ring: r, group: group, entries: entries, size: size}
	var err error
	const prot, flags = unix.PROT_READ | unix.PROT_WRITE, unix.MAP_ANON | unix.MAP_PRIVATE
	if b.mem, err = unix.Mmap(-1, 0, int(entries)*bufRingEntrySize, prot, flags); err != nil {
		return nil, fmt.Errorf("uring: mmap buffer ring: %w", err)
	}
	if b.bufs, err = unix.Mmap(-1, 0, int(entries)*size, prot, flags); err != nil {
		unix.Munmap(b.mem)
		return nil, fmt.Errorf("uring: mmap buffers: %w", err)
	}
	// struct io_uring_buf_reg: ring_addr u64, ring_entries u32, bgid u16,
	// flags u16, resv [3]u64.
	var reg [bufRegSize]byte
	*(*uint64)(unsafe.Pointer(&reg[0])) = uint64(uintptr(unsafe.Pointer(&b.mem[0])))
	*(*uint32)(unsafe.Pointer(&reg[8])) = entries
	*(*uint16)(unsafe.Pointer(&reg[12])) = group
	if err := r.register(registerPbufRing, "REGISTER_PBUF_RING", unsafe.Pointer(&reg[0]), 1); err != nil {
		unix.Munmap(b.bufs)
		unix.Munmap(b.mem)
		return nil, err
	}
	for i := range entries {
		b.Add(uint16(i))
	}
	b.Publish()
	return b, nil
}

// Group returns the ring's buffer group id (the SQE's BufIndex).
func (b *BufRing) Group() uint16 { return b.group }

// Size returns the size of each buffer.
func (b *BufRing) Size() int { return b.size }

// Entries returns the number of buffers.
func (b *BufRing) Entries() uint32 { return b.entries }

// Buf returns buffer id's memory (all Size bytes of it).
func (b *BufRing) Buf(id uint16) []byte {
	off := int(id) * b.size
	return b.bufs[off : off+b.size : off+b.size]
}

// Add gives buffer id back to the kernel; it becomes visible at the next
// Publish. Each buffer must be added once per use: the ring holds at most
// Entries of them.
func (b *BufRing) Add(id uint16) {
	mask := uint16(b.entries - 1)
	e := unsafe.Pointer(&b.mem[int(b.tail&mask)*bufRingEntrySize])
	// struct io_uring_buf: addr u64, len u32, bid u16, resv u16 (the
	// tail, in entry 0: written only by Publish).
	*(*uint64)(e) = uint64(uintptr(unsafe.Pointer(&b.bufs[int(id)*b.size])))
	*(*uint32)(unsafe.Add(e, 8)) = uint32(b.size)
	*(*uint16)(unsafe.Add(e, 12)) = id
	b.tail++
	b.added = true
}

// Publish makes the buffers added since the last Publish available to the
// kernel (a release store of the ring's tail).
func (b *BufRing) Publish() {
	if !b.added {
		return
	}
	b.added = false
	// The tail is a u16 in the last two bytes of entry 0; an atomic store
	// of the aligned 32-bit word around it would clobber entry 0's bid, so
	// store the 16 bits after a fence made by an atomic add on a private word.
	atomicStore16((*uint16)(unsafe.Pointer(&b.mem[bufRingTailOffset])), b.tail)
}

// Close unregisters the ring and unmaps its memory. Requests still using
// the group fail with ENOBUFS afterwards.
func (b *BufRing) Close() error {
	if b.mem == nil {
		return nil
	}
	var err error
	var reg [bufRegSize]byte
	*(*uint16)(unsafe.Pointer(&reg[12])) = b.group
	if b.ring.fd >= 0 {
		err = b.ring.register(unregisterPbufRing, "UNREGISTER_PBUF_RING", unsafe.Pointer(&reg[0]), 1)
	}
	unix.Munmap(b.bufs)
	unix.Munmap(b.mem)
	b.mem, b.bufs = nil, nil
	return err
}

// fence orders the stores before it ahead of the stores after it (an
// atomic read-modify-write is a full barrier on every Go platform).
var fence atomic.Uint32

func atomicStore16(p *uint16, v uint16) {
	fence.Add(1)
	*p = v
	fence.Add(1)
}
