package eventpoll

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// darwin has neither SOCK_NONBLOCK|SOCK_CLOEXEC nor pipe2 nor accept4: a
// descriptor is created, then marked with fcntl while syscall.ForkLock is
// held for reading, as the standard library does, so that a child forked
// by os/exec in between does not inherit it. It has no MSG_NOSIGNAL that
// every release honours either: every socket gets SO_NOSIGPIPE instead.

// msgNoSignal is the flag passed to send calls; SO_NOSIGPIPE does its work here.
const msgNoSignal = 0

// noSIGPIPE sets SO_NOSIGPIPE, so that writes to a reset peer fail with
// EPIPE instead of raising SIGPIPE.
func noSIGPIPE(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
}

// cloexecNonblock marks fd close-on-exec and non-blocking; on failure it
// closes fd.
func cloexecNonblock(fd int) error {
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return err
	}
	return nil
}

// socketNonblock opens a non-blocking, close-on-exec socket.
func socketNonblock(family, sotype int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := unix.Socket(family, sotype, 0)
	if err != nil {
		return -1, err
	}
	if err := cloexecNonblock(fd); err != nil {
		return -1, err
	}
	return fd, nil
}

// socketpairNonblock returns two connected non-blocking, close-on-exec
// stream sockets that never raise SIGPIPE.
func socketpairNonblock() (a, b int, err error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, -1, err
	}
	if err := cloexecNonblock(p[0]); err != nil {
		unix.Close(p[1])
		return -1, -1, err
	}
	if err := cloexecNonblock(p[1]); err != nil {
		unix.Close(p[0])
		return -1, -1, err
	}
	for _, fd := range p {
		if err := noSIGPIPE(fd); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return -1, -1, err
		}
	}
	return p[0], p[1], nil
}

// pipeNonblock returns the ends of a non-blocking, close-on-exec pipe.
func pipeNonblock() (r, w int, err error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return -1, -1, err
	}
	if err := cloexecNonblock(p[0]); err != nil {
		unix.Close(p[1])
		return -1, -1, err
	}
	if err := cloexecNonblock(p[1]); err != nil {
		unix.Close(p[0])
		return -1, -1, err
	}
	return p[0], p[1], nil
}
