package reactor

import (
	"fmt"
	"syscall"

	"github.com/eventpoll/eventpoll/internal/uring"
	"golang.org/x/sys/unix"
)

// This file holds the completion engine's listeners: one multishot accept
// request per listening socket and its completions (engine_uring_linux.go
// has the model).

// uringArmListener tracks a listening socket and arms its multishot
// accept (a datagram socket: a poll for input).
func (l *Loop) uringArmListener(a *listenFD) {
	if a.fd >= uringMaxFD {
		l.cfg.log.Error("reactor: cannot serve listener", "addr", a.ln.addr, "err", fmt.Errorf("descriptor %d beyond %d", a.fd, uringMaxFD))
		l.closeListener(a)
		return
	}
	a.gen = l.nextGen(a.fd)
	l.fds[a.fd] = fdEntry{gen: a.gen, ln: a}
	if a.pc != nil {
		l.sqe().PrepPollAdd(a.fd, unix.POLLIN, 0, uringData(a.fd, uopPacket, a.gen))
		return
	}
	l.sqe().PrepAcceptMultishot(a.fd, uringData(a.fd, uopAccept, a.gen))
}

// acceptDone handles a completion of a listener's multishot accept, with
// the readiness engine's rules for errors: EMFILE and its kind shed one
// connection with the reserve descriptor and pause the listener; a
// connection aborted before it was taken is skipped.
func (l *Loop) acceptDone(a *listenFD, cqe *uring.CQE) {
	res := cqe.Res
	if res >= 0 {
		a.backoff = 0
		l.handOff(a, int(res), a.ln.network != "unix")
	} else {
		err := syscall.Errno(-res)
		switch err {
		case syscall.ECANCELED:
			return
		case syscall.ECONNABORTED, syscall.EPROTO, syscall.EINTR, syscall.EAGAIN:
		case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM:
			l.shed(a)
			l.pauseAccept(a, err)
			return
		default:
			l.pauseAccept(a, err)
			return
		}
	}
	if !cqe.More() && !a.closed && !a.paused {
		l.sqe().PrepAcceptMultishot(a.fd, uringData(a.fd, uopAccept, a.gen))
	}
}
