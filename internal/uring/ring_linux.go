package uring

import (
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Options tunes New. The zero value asks for a completion queue twice the
// size of the submission queue and no setup flags.
type Options struct {
	// CQEntries, when positive, is the completion queue size
	// (IORING_SETUP_CQSIZE); the kernel rounds it up to a power of two.
	CQEntries uint32
	// Flags are extra IORING_SETUP_* flags.
	Flags uint32
}

// Ring is one io_uring instance: its file descriptor and the three shared
// mappings (submission ring, completion ring, entry array).
type Ring struct {
	fd       int
	features uint32
	flags    uint32

	sqMem, cqMem, sqeMem []byte

	sqHead, sqTail, sqFlags, sqDropped *uint32
	sqMask, sqEntries                  uint32
	sqes                               []SQE
	sqeTail                            uint32 // entries handed out by NextSQE

	cqHead, cqTail, cqOverflow *uint32
	cqMask, cqEntries          uint32
	cqes                       []CQE
}

// New creates a ring with room for entries submissions (a power of two up
// to 32768; the kernel rounds up). An error wraps the errno of
// io_uring_setup(2): ENOSYS where the kernel lacks io_uring, EPERM where
// io_uring_disabled or a seccomp filter forbids it, ENOMEM past the
// locked-memory limit of old kernels.
func New(entries uint32, opt Options) (*Ring, error) {
	var p Params
	p.Flags = opt.Flags
	if opt.CQEntries > 0 {
		p.Flags |= SetupCQSize
		p.CQEntries = opt.CQEntries
	}
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	r := &Ring{fd: int(fd), features: p.Features, flags: p.Flags}
	if err := r.mmap(&p); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Ring) mmap(p *Params) error {
	sqSize := int(p.SQOff.Array + p.SQEntries*4)
	cqSize := int(p.CQOff.CQEs + p.CQEntries*uint32(unsafe.Sizeof(CQE{})))
	const prot, flags = unix.PROT_READ | unix.PROT_WRITE, unix.MAP_SHARED | unix.MAP_POPULATE
	var err error
	if p.Features&FeatSingleMmap != 0 {
		// One mapping holds both rings.
		r.sqMem, err = unix.Mmap(r.fd, offSQRing, max(sqSize, cqSize), prot, flags)
		if err != nil {
			return fmt.Errorf("io_uring mmap rings: %w", err)
		}
		r.cqMem = r.sqMem
	} else {
		if r.sqMem, err = unix.Mmap(r.fd, offSQRing, sqSize, prot, flags); err != nil {
			return fmt.Errorf("io_uring mmap SQ ring: %w", err)
		}
		if r.cqMem, err = unix.Mmap(r.fd, offCQRing, cqSize, prot, flags); err != nil {
			return fmt.Errorf("io_uring mmap CQ ring: %w", err)
		}
	}
	sqeSize := int(p.SQEntries) * int(unsafe.Sizeof(SQE{}))
	if r.sqeMem, err = unix.Mmap(r.fd, offSQEs, sqeSize, prot, flags); err != nil {
		return fmt.Errorf("io_uring mmap SQEs: %w", err)
	}

	word := func(mem []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&mem[off])) }
	r.sqHead = word(r.sqMem, p.SQOff.Head)
	r.sqTail = word(r.sqMem, p.SQOff.Tail)
	r.sqFlags = word(r.sqMem, p.SQOff.Flags)
	r.sqDropped = word(r.sqMem, p.SQOff.Dropped)
	r.sqMask = *word(r.sqMem, p.SQOff.RingMask)
	r.sqEntries = *word(r.sqMem, p.SQOff.RingEntries)
	r.sqes = unsafe.Slice((*SQE)(unsafe.Pointer(&r.sqeMem[0])), p.SQEntries)
	// The indirection array maps ring slot i to entry i, once for all:
	// NextSQE fills the entry of the slot it publishes.
	array := unsafe.Slice((*uint32)(unsafe.Pointer(&r.sqMem[p.SQOff.Array])), p.SQEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	r.sqeTail = atomic.LoadUint32(r.sqTail)

	r.cqHead = word(r.cqMem, p.CQOff.Head)
	r.cqTail = word(r.cqMem, p.CQOff.Tail)
	r.cqOverflow = word(r.cqMem, p.CQOff.Overflow)
	r.cqMask = *word(r.cqMem, p.CQOff.RingMask)
	r.cqEntries = *word(r.cqMem, p.CQOff.RingEntries)
	r.cqes = unsafe.Slice((*CQE)(unsafe.Pointer(&r.cqMem[p.CQOff.CQEs])), p.CQEntries)
	return nil
}

// Close unmaps the rings and closes the ring's descriptor. The kernel
// cancels the requests still in flight.
func (r *Ring) Close() error {
	if r.sqeMem != nil {
		unix.Munmap(r.sqeMem)
	}
	if r.cqMem != nil && (r.sqMem == nil || &r.cqMem[0] != &r.sqMem[0]) {
		unix.Munmap(r.cqMem)
	}
	if r.sqMem != nil {
		unix.Munmap(r.sqMem)
	}
	r.sqMem, r.cqMem, r.sqeMem, r.sqes, r.cqes = nil, nil, nil, nil, nil
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// Fd returns the ring's file descriptor.
func (r *Ring) Fd() int { return r.fd }

// Features returns the IORING_FEAT_* bits the kernel reported.
func (r *Ring) Features() uint32 { return r.features }

// SetupFlags returns the IORING_SETUP_* flags the ring was created with.
func (r *Ring) SetupFlags() uint32 { return r.flags }

// SQEntries and CQEntries return the sizes of the two queues.
func (r *Ring) SQEntries() uint32 { return r.sqEntries }

// CQEntries returns the size of the completion queue.
func (r *Ring) CQEntries() uint32 { return r.cqEntries }

// NextSQE returns the next free submission entry, zeroed, or nil when the
// submission queue is full (Flush and Enter first). The entry goes to the
// kernel at the next Flush.
func (r *Ring) NextSQE() *SQE {
	if r.sqeTail-atomic.LoadUint32(r.sqHead) >= r.sqEntries {
		return nil
	}
	s := &r.sqes[r.sqeTail&r.sqMask]
	*s = SQE{}
	r.sqeTail++
	return s
}

// Flush publishes the entries handed out since the last Flush and returns
// how many published entries the kernel has not consumed yet: the count to
// pass to Enter.
func (r *Ring) Flush() uint32 {
	atomic.StoreUint32(r.sqTail, r.sqeTail)
	return r.sqeTail - atomic.LoadUint32(r.sqHead)
}

// Unsubmitted returns how many entries were handed out by NextSQE and not
// consumed by the kernel yet (published or not).
func (r *Ring) Unsubmitted() uint32 { return r.sqeTail - atomic.LoadUint32(r.sqHead) }

// Dropped returns how many submission entries the kernel found invalid
// and dropped.
func (r *Ring) Dropped() uint32 { return atomic.LoadUint32(r.sqDropped) }

// CQOverflowPending reports whether completions wait in the kernel's
// overflow list (the completion queue was full when they were posted); an
// Enter with EnterGetEvents moves them into the queue as room allows.
func (r *Ring) CQOverflowPending() bool {
	return atomic.LoadUint32(r.sqFlags)&SQCQOverflow != 0
}

// CQOverflowCount returns how many completions the kernel could not post
// and lost (only on kernels without IORING_FEAT_NODROP).
func (r *Ring) CQOverflowCount() uint32 { return atomic.LoadUint32(r.cqOverflow) }

// CQReady returns how many completions wait in the completion queue.
func (r *Ring) CQReady() uint32 {
	return atomic.LoadUint32(r.cqTail) - atomic.LoadUint32(r.cqHead)
}

// Peek copies up to len(dst) completions out of the queue, frees their
// slots and returns how many it copied.
func (r *Ring) Peek(dst []CQE) int {
	head := atomic.LoadUint32(r.cqHead)
	tail := atomic.LoadUint32(r.cqTail)
	n := 0
	for head != tail && n < len(dst) {
		dst[n] = r.cqes[head&r.cqMask]
		head++
		n++
	}
	if n > 0 {
		atomic.StoreUint32(r.cqHead, head)
	}
	return n
}

// Submit hands toSubmit published entries to the kernel without waiting
// (and, with EnterGetEvents in flags, flushes overflowed completions). It
// is a raw system call: submitting polls and no-ops never blocks.
func (r *Ring) Submit(toSubmit uint32, flags uint32) (int, error) {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), 0, uintptr(flags), 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return int(n), fmt.Errorf("io_uring_enter: %w", errno)
		}
		return int(n), nil
	}
}

// WaitArg holds the timeout of one Enter. It must stay at one address for
// the duration of the call, so callers allocate it (NewWaitArg) and reuse it.
type WaitArg struct {
	arg getEventsArg
	ts  unix.Timespec
}

// NewWaitArg allocates a WaitArg.
func NewWaitArg() *WaitArg { return new(WaitArg) }

// Enter submits toSubmit published entries and waits until at least
// minComplete completions are in the queue, or timeout passes (negative:
// no limit). It returns how many entries were submitted. Timing out gives
// an error wrapping ETIME; a signal gives one wrapping EINTR. Enter may be
// called by several goroutines at once, and concurrently with the other
// methods (it touches no ring memory).
func (r *Ring) Enter(toSubmit, minComplete uint32, timeout time.Duration, a *WaitArg) (int, error) {
	flags := uintptr(EnterGetEvents)
	var argp, argsz uintptr
	if timeout >= 0 {
		a.ts = unix.NsecToTimespec(int64(timeout))
		a.arg = getEventsArg{ts: uint64(uintptr(unsafe.Pointer(&a.ts)))}
		flags |= uintptr(EnterExtArg)
		argp, argsz = uintptr(unsafe.Pointer(&a.arg)), unsafe.Sizeof(a.arg)
	}
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), uintptr(minComplete), flags, argp, argsz)
	if errno != 0 {
		return int(n), fmt.Errorf("io_uring_enter: %w", errno)
	}
	return int(n), nil
}
