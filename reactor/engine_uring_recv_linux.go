package reactor

import (
	"fmt"
	"syscall"

	"github.com/eventpoll/eventpoll/internal/uring"
	"golang.org/x/sys/unix"
)

// This file holds the completion engine's input side: a connection's
// multishot receive, the error watch while it is paused, and delivery of
// received bytes to OnData (engine_uring_linux.go has the model).

// uringAddConn tracks a new connection and arms its first request: the
// receive, or a poll for the end of its connect.
func (l *Loop) uringAddConn(c *Conn) error {
	if c.fd >= uringMaxFD {
		return fmt.Errorf("descriptor %d beyond the completion engine's %d", c.fd, uringMaxFD)
	}
	c.gen = l.nextGen(c.fd)
	l.fds[c.fd] = fdEntry{gen: c.gen, c: c}
	if c.state == stateConnecting {
		c.uops |= uringConnecting
		l.sqe().PrepPollAdd(c.fd, unix.POLLOUT, 0, uringData(c.fd, uopConnect, c.gen))
		return nil
	}
	l.uringInterest(c)
	return nil
}

// uringInterest arms the connection's receive when it should read (open
// and not paused, or closing and discarding until the peer's FIN) and
// cancels it when it should not.
func (l *Loop) uringInterest(c *Conn) {
	if c.state == stateClosed || c.state == stateConnecting {
		return
	}
	want := !c.eof && c.uops&uringEOF == 0 && (c.state != stateOpen || !c.paused)
	armed := c.uops&uringRecv != 0
	switch {
	case want && !armed:
		c.uops |= uringRecv
		l.sqe().PrepRecvMultishot(c.fd, uringBufGroup, uringData(c.fd, uopRecv, c.gen))
	case !want && armed && c.uops&uringRecvCancel == 0:
		c.uops |= uringRecvCancel
		l.sqe().PrepCancel(uringData(c.fd, uopRecv, c.gen), 0, uringData(0, uopCancel, 0))
	}
	// While not receiving, a multishot poll reports a reset or hangup, as
	// the readiness engine's registration does (its first completion may
	// be the peer's FIN, which it ignores).
	if !want && c.uops&uringWatch == 0 {
		c.uops |= uringWatch
		l.sqe().PrepPollAdd(c.fd, unix.POLLERR|unix.POLLHUP, uring.PollAddMulti, uringData(c.fd, uopWatch, c.gen))
	} else if want && c.uops&uringWatch != 0 {
		c.uops &^= uringWatch
		l.sqe().PrepCancel(uringData(c.fd, uopWatch, c.gen), 0, uringData(0, uopCancel, 0))
	}
}

// watchDone handles a completion of the error poll: an error or hangup
// closes a connection that neither reading (finished or paused) nor
// writing (nothing in flight) will see it on.
func (l *Loop) watchDone(c *Conn, cqe *uring.CQE) {
	if cqe.Res == -int32(unix.ECANCELED) {
		return // cancelled by uringInterest, which cleared the bit
	}
	if !cqe.More() {
		c.uops &^= uringWatch
	}
	if cqe.Res > 0 && cqe.Res&(unix.POLLERR|unix.POLLHUP) != 0 && c.state != stateClosed && !c.wantWrite {
		err := l.k.SocketError(c.fd)
		l.closeConn(c, wrapOp("socket", err), false)
		return
	}
	if c.uops&uringWatch == 0 {
		l.uringInterest(c)
	}
}

// recvDone handles a completion of the connection's receive.
func (l *Loop) recvDone(c *Conn, cqe *uring.CQE) {
	if !cqe.More() {
		c.uops &^= uringRecv | uringRecvCancel
	}
	if id, ok := cqe.BufferID(); ok {
		if cqe.Res > 0 {
			l.uringInput(c, l.ur.bufs.Buf(id)[:cqe.Res])
		}
		l.ur.bufs.Add(id) // OnData has returned; leftovers were copied
	}
	switch res := cqe.Res; {
	case c.state == stateClosed:
		return
	case res == 0:
		if c.stash {
			c.uops |= uringEOF // after the bytes still to deliver
			return
		}
		l.readEOF(c)
		return
	case res < 0 && res != -int32(unix.ENOBUFS) && res != -int32(unix.ECANCELED):
		l.closeConn(c, wrapOp("read", syscall.Errno(-res)), false)
		return
	}
	if c.uops&uringRecv == 0 {
		l.uringInterest(c) // the request ended (no buffer left, or cancelled): re-arm if due
	}
}

// uringInput delivers received bytes, or keeps them for later (stash)
// while the connection is paused or over its read budget for this
// iteration.
func (l *Loop) uringInput(c *Conn, p []byte) {
	c.lastActive = l.now
	if c.state != stateOpen || c.rdShut {
		return // closing: input is discarded
	}
	ur := l.ur
	if c.ur.rdIter != ur.iter {
		c.ur.rdIter, c.ur.rdBytes = ur.iter, 0
	}
	if c.paused || c.stash || int(c.ur.rdBytes) >= l.cfg.budget {
		appendIn(c, p)
		c.stash = true
		if !c.paused {
			l.requeue(c)
		}
		return
	}
	c.ur.rdBytes += int32(len(p))
	if c.inBuf != nil {
		appendIn(c, p)
	} else {
		c.in = p
	}
	l.callData(c)
	l.afterData(c)
}

// appendIn copies p after the connection's unconsumed bytes, into its own
// buffer.
func appendIn(c *Conn, p []byte) {
	if c.inBuf == nil {
		b := getBuf(max(len(c.in)+len(p), minBufSize))
		n := copy(*b, c.in)
		n += copy((*b)[n:], p)
		c.in = (*b)[:n]
		c.inBuf = b
		return
	}
	for len(p) > 0 {
		free := c.readSpace(len(p))
		k := copy(free, p)
		c.in = c.in[:len(c.in)+k]
		p = p[k:]
	}
}

// uringAgain delivers the bytes kept while the connection was paused or
// over budget (those over budget in a later iteration than the one that
// received them, after the other connections' completions), then a
// deferred end of file, and re-arms the receive.
func (l *Loop) uringAgain(c *Conn) {
	if c.stash && c.state == stateOpen && !c.paused && !c.rdShut {
		if c.ur.rdIter == l.ur.iter && int(c.ur.rdBytes) >= l.cfg.budget {
			l.requeue(c) // the loop polls the ring without waiting, then delivers
			return
		}
		c.ur.rdIter, c.ur.rdBytes = l.ur.iter, int32(len(c.in))
		l.callData(c)
		if !l.afterData(c) {
			return
		}
	}
	if c.uops&uringEOF != 0 && !c.stash && c.state != stateClosed {
		c.uops &^= uringEOF
		l.readEOF(c)
		return
	}
	l.uringInterest(c)
}
