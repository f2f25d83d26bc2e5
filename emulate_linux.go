package eventpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds the Linux system calls of the emulated backends: the wake
// eventfd and ppoll(2).

// wakeOne is the 8-byte value 1 in host byte order, written to the wake
// eventfd.
var wakeOne = func() (b [8]byte) {
	*(*uint64)(unsafe.Pointer(&b[0])) = 1
	return b
}()

// openWakeFD creates the wake eventfd of an emulated poller.
func openWakeFD() (int, error) {
	return unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
}

func (e *emu) writeEventfd() {
	e.nWrites++
	for {
		_, err := unix.Write(e.efd, e.oneBuf[:])
		if err != unix.EINTR {
			return // EAGAIN: the counter is full, the fd is readable anyway
		}
	}
}

// drainEventfd empties the wake eventfd (e.mu held).
func (e *emu) drainEventfd() {
	for {
		_, err := unix.Read(e.efd, e.drainBuf[:])
		if err != unix.EINTR {
			break
		}
	}
	e.intrSent = false
}

// pollEvents translates conditions to poll(2) request bits. The values of
// POLLIN, POLLPRI, POLLOUT and POLLRDHUP equal their EPOLL* counterparts;
// POLLERR and POLLHUP are always reported and need not be asked for.
func pollEvents(ev Events) int16 {
	return int16(toEpoll(ev & (Readable | Priority | Writable | ReadHangup)))
}

// fromPoll translates poll(2) result bits to conditions.
func fromPoll(revents int16) Events {
	return fromEpoll(uint32(uint16(revents)))
}

// ppoll calls ppoll(2) (poll(2) with a timespec; the same kernel code) with a
// timeout in milliseconds, negative for none.
func ppoll(fds []unix.PollFd, msec int) (int, error) {
	var ts unix.Timespec
	var tsp unsafe.Pointer
	if msec >= 0 {
		ts.Sec = int64(msec / 1000)
		ts.Nsec = int64(msec%1000) * 1e6
		tsp = unsafe.Pointer(&ts)
	}
	var p unsafe.Pointer
	if len(fds) > 0 {
		p = unsafe.Pointer(&fds[0])
	}
	r, _, errno := unix.Syscall6(unix.SYS_PPOLL, uintptr(p), uintptr(len(fds)), uintptr(tsp), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}
