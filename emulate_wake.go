//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds the wake descriptor of the emulated backends, the one fd
// every wait watches besides the registrations: Wake and the interrupts of
// blocked Waits write it, the Wait that sees it ready drains it. It is an
// eventfd on Linux (emulate_sys_linux.go) and a non-blocking, close-on-exec
// pipe elsewhere (emulate_sys_bsd.go): one byte is written to wake, and the
// read end, which the wait watches, is drained by reading until EAGAIN.
// Linux builds the pipe too; its tests run the poll backend over it
// (emulate_pipewake_linux_test.go).

// wakeOne is the 8-byte value 1 in host byte order, written to a wake
// eventfd; a wake pipe is written its first byte.
var wakeOne = func() (b [8]byte) {
	*(*uint64)(unsafe.Pointer(&b[0])) = 1
	return b
}()

// openWakePipe creates a wake pipe: its read end r and write end w, both
// non-blocking and close-on-exec.
func openWakePipe() (r, w int, err error) {
	return portableCalls.pipe()
}

// writeWake writes the wake descriptor (e.mu held, or the poller closing).
func (e *emu) writeWake() {
	e.nWrites++
	buf := e.oneBuf[:]
	if e.wakePipe {
		buf = buf[:1]
	}
	for {
		_, err := unix.Write(e.wakeW, buf)
		if err != unix.EINTR {
			// EAGAIN: the eventfd counter or the pipe is full, and the
			// descriptor is readable anyway.
			return
		}
	}
}

// drainWake empties the wake descriptor (e.mu held): one read empties an
// eventfd; a pipe is read until EAGAIN.
func (e *emu) drainWake() {
	for {
		n, err := unix.Read(e.wakeFD, e.drainBuf[:])
		if err == unix.EINTR {
			continue
		}
		if !e.wakePipe || err != nil || n <= 0 {
			break
		}
	}
	e.intrSent = false
}

// closeWake closes the wake descriptor (e.mu held) and returns the first
// error.
func (e *emu) closeWake() error {
	e.wakeClosed = true
	err := unix.Close(e.wakeFD)
	if e.wakeW != e.wakeFD {
		if werr := unix.Close(e.wakeW); err == nil {
			err = werr
		}
	}
	return err
}

// pollMsec calls poll(2) with a timeout in milliseconds, negative for none.
// EINTR is returned, as the wait loop expects, for it to call again with the
// time left.
func pollMsec(fds []unix.PollFd, msec int) (int, error) {
	return unix.Poll(fds, msec)
}
