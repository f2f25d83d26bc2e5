// Package kevent describes the kqueue(2) and kevent(2) system calls as
// plain data, so that the kqueue backend of package eventpoll runs over the
// real kernel on macOS and the BSDs and over the user-space kqueue of
// package sim everywhere else.
//
// The values are this package's own (they follow FreeBSD's sys/event.h);
// the host implementation translates them to and from each system's
// struct kevent, whose field widths and EVFILT_USER number differ per OS.
package kevent

import "time"

// Event mirrors struct kevent without udata: the backend keeps its
// registrations in user space, and udata is a pointer on most systems and
// an intptr_t on NetBSD, 32 bits wide on 32-bit systems.
type Event struct {
	Ident  uint64 // the fd, or a user-chosen number for FilterUser
	Filter int16  // FilterRead, FilterWrite, FilterUser
	Flags  uint16 // actions on input (Add, Delete, ...), state on output (EOF, Error)
	Fflags uint32 // filter flags: NoteTrigger on input; the socket error with EOF on output
	Data   int64  // bytes readable or writable; the errno with Error
}

// Filters.
const (
	FilterRead  int16 = -1  // EVFILT_READ
	FilterWrite int16 = -2  // EVFILT_WRITE
	FilterUser  int16 = -11 // EVFILT_USER (FreeBSD's number; -10 on macOS)
)

// Flags (EV_*).
const (
	Add      uint16 = 0x0001 // EV_ADD: add the knote, or change an existing one
	Delete   uint16 = 0x0002 // EV_DELETE: remove the knote
	Enable   uint16 = 0x0004 // EV_ENABLE: let the knote be returned again
	Disable  uint16 = 0x0008 // EV_DISABLE: keep the knote but return nothing for it
	OneShot  uint16 = 0x0010 // EV_ONESHOT: return once, then delete the knote
	Clear    uint16 = 0x0020 // EV_CLEAR: reset the state after it is returned (edge-triggered)
	Receipt  uint16 = 0x0040 // EV_RECEIPT: answer every change with an Error entry (Data 0 on success)
	Dispatch uint16 = 0x0080 // EV_DISPATCH: return once, then disable the knote
	Error    uint16 = 0x4000 // EV_ERROR: a change failed (Data is the errno) or its receipt
	EOF      uint16 = 0x8000 // EV_EOF: the filter's end of file; Fflags holds a socket error
)

// Fflags of FilterUser.
const (
	NoteTrigger uint32 = 0x01000000 // NOTE_TRIGGER: activate the user knote
)

// Queue is one kqueue. Kevent applies changes in order, then (unless a
// change produced an Error entry) returns up to len(events) pending events,
// waiting for one at most timeout (negative: without limit, zero: not at
// all). A change that fails with room left in events yields an Error entry
// there; without room the call fails with its errno. Implementations are
// safe for concurrent use.
type Queue interface {
	Kevent(changes, events []Event, timeout time.Duration) (int, error)
	Close() error
}

// Kind is what a descriptor refers to, as far as readiness is concerned.
type Kind uint8

// Kinds of descriptors.
const (
	Other   Kind = iota // pipes, FIFOs, terminals, devices, eventfds
	Socket              // a socket: EOF on the read filter is the peer's FIN
	Regular             // a regular file or directory: always ready, refused by the backend
)

// FD describes an open descriptor: its Kind and an identity of the open
// file behind it (equal for two descriptors of one file, different for a
// file opened later under a reused number).
type FD struct {
	Kind Kind
	ID   [2]uint64
}

// System creates kqueues and answers the questions about descriptors that
// kevent cannot: what an fd is (fstat), and whether a socket has hung up in
// both directions (poll(2)'s POLLHUP), which kqueue reports only through
// the write filter.
type System interface {
	Kqueue() (Queue, error)
	Describe(fd int) (FD, error)
	HungUp(fd int) (bool, error)
}

// Lack is a set of kqueue(2) features a system does not offer (or that
// golang.org/x/sys/unix does not define for it). The kqueue backend works
// around each one.
type Lack uint8

// Features a system may lack.
const (
	// LackUser: no EVFILT_USER. Wake goes through a pipe whose read end is
	// watched with EVFILT_READ (the System must implement Pipes).
	LackUser Lack = 1 << iota
	// LackReceipt: no EV_RECEIPT. Changes are made one per call with an
	// empty event list, so each one fails with its own errno.
	LackReceipt
	// LackDispatch: no EV_DISPATCH. OneShot is EV_ONESHOT (the kernel
	// deletes the knote after one report) and Modify adds it again.
	LackDispatch
)

// Limited is implemented by a System that lacks some features.
type Limited interface {
	Lacks() Lack
}

// Pipes is what a System that lacks EVFILT_USER provides for the wake-up
// pipe: a non-blocking, close-on-exec pipe, and read, write and close on
// descriptors.
type Pipes interface {
	Pipe() (r, w int, err error)
	Read(fd int, p []byte) (int, error)
	Write(fd int, p []byte) (int, error)
	Close(fd int) error
}
