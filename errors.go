package eventpoll

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"
)

// Sentinel errors. Each wraps the errno a C program would see, so both
// errors.Is(err, eventpoll.ErrClosed) and errors.Is(err, syscall.EBADF) hold.
var (
	// ErrClosed is returned by every method of a Poller after Close.
	ErrClosed = fmt.Errorf("eventpoll: poller closed: %w", syscall.EBADF)
	// ErrFDTooLarge is returned by the select backend for fds >= FDSetSize
	// (FD_SETSIZE: 1024; 256 on NetBSD).
	ErrFDTooLarge = fmt.Errorf("eventpoll: fd too large for select (FD_SETSIZE is %d): %w", FDSetSize, syscall.EINVAL)
	// ErrUnsupported is returned for a mode a backend cannot provide, such as
	// Exclusive on poll or select. It also matches errors.ErrUnsupported.
	ErrUnsupported = fmt.Errorf("eventpoll: mode not supported by this backend: %w: %w", errors.ErrUnsupported, syscall.EINVAL)
	// ErrReservedData is returned by Add and Modify for Data == ReservedData.
	ErrReservedData = fmt.Errorf("eventpoll: data value %#x is reserved: %w", ReservedData, syscall.EINVAL)
	// ErrUnknownBackend is returned by New for a backend name it does not know.
	ErrUnknownBackend = errors.New("eventpoll: unknown backend")
	// ErrUnavailable is wrapped by New's error for a registered backend the
	// running system cannot provide (io_uring under seccomp or with
	// kernel.io_uring_disabled set), together with the cause, an errno.
	ErrUnavailable = errors.New("eventpoll: backend unavailable on this system")
)

// OpError describes a failed Poller operation: which one, on which fd and
// backend, and why. Unwrap returns the cause, a syscall.Errno or a sentinel.
type OpError struct {
	Backend string // "epoll", "poll", "select", "sim", ...
	Op      string // "add", "modify", "delete", "wait", "wake", "close", "new"
	FD      int    // -1 when the operation has no fd
	Err     error
}

func (e *OpError) Error() string {
	s := "eventpoll: " + e.Backend + " " + e.Op
	if e.FD >= 0 {
		s += " fd " + strconv.Itoa(e.FD)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying cause.
func (e *OpError) Unwrap() error { return e.Err }

// NewOpError builds an *OpError; backends outside this package (such as sim)
// use it so that every Poller reports errors the same way.
func NewOpError(backend, op string, fd int, err error) error {
	return &OpError{Backend: backend, Op: op, FD: fd, Err: err}
}

// CheckEvents validates an interest set for Add or Modify: unknown bits and
// the reserved data value are refused with errors wrapping syscall.EINVAL.
// Backends call it before touching their state.
func CheckEvents(ev Events, data uint64) error {
	if ev&^(conditionMask|modeMask) != 0 {
		return fmt.Errorf("eventpoll: unknown event bits %#x: %w", uint32(ev&^(conditionMask|modeMask)), syscall.EINVAL)
	}
	if data == ReservedData {
		return ErrReservedData
	}
	return nil
}
