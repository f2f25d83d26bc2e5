//go:build darwin || linux || netbsd || openbsd

package eventpoll

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Where a descriptor cannot be created non-blocking and close-on-exec in
// one call, it is created, then marked with fcntl while syscall.ForkLock is
// held for reading, as the standard library does, so that a child forked
// by os/exec in between does not inherit it.

// cloexecNonblock marks fd close-on-exec and non-blocking; on failure it
// closes fd.
func cloexecNonblock(fd int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		unix.Close(fd)
		return err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return err
	}
	return nil
}

// acceptFcntl takes one pending connection with accept and marks it
// non-blocking and close-on-exec with fcntl.
func acceptFcntl(fd int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	nfd, _, err := unix.Accept(fd)
	if err != nil {
		return -1, err
	}
	if err := cloexecNonblock(nfd); err != nil {
		return -1, err
	}
	return nfd, nil
}
