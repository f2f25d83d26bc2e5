package reactor

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/eventpoll/eventpoll"
)

// listenerFD returns a duplicate of a net.Listener's descriptor, made with
// the Kernel. The duplicate shares the open file (and its non-blocking
// mode), so the caller may close ln's own descriptor independently.
func listenerFD(k eventpoll.Kernel, ln net.Listener) (int, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("reactor: %T has no file descriptor: %w", ln, errors.ErrUnsupported)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, wrapOp("listener", err)
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, derr = k.Dup(int(s)) }); err != nil {
		return -1, wrapOp("listener", err)
	}
	if derr != nil {
		return -1, wrapOp("dup", derr)
	}
	return fd, nil
}
