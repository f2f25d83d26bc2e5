package reactor

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds the completion engine's output side: one send or
// sendmsg request in flight per connection and its completion
// (engine_uring_linux.go has the model).

// uringSend submits the connection's queued output unless a send is in
// flight: send for one buffer, sendmsg for several. wantWrite stays set
// until the completion, so that settle and Flush wait for it.
func (l *Loop) uringSend(c *Conn) {
	if c.uops&uringSending != 0 || c.out.n == 0 || c.state == stateConnecting || c.state == stateClosed {
		return
	}
	ur := l.ur
	var idx int32
	if n := len(ur.free); n > 0 {
		idx = ur.free[n-1]
		ur.free = ur.free[:n-1]
	} else {
		idx = int32(len(ur.slots))
		ur.slots = append(ur.slots, new(sendSlot))
	}
	s := ur.slots[idx]
	s.c = c
	ud := uringData(int(idx), uopSend, 0)
	p := c.out.pending()
	if len(p) == 1 {
		l.sqe().PrepSend(c.fd, p[0], unix.MSG_NOSIGNAL, ud)
	} else {
		n := min(len(p), uringMaxIov)
		for i, b := range p[:n] {
			s.iov[i].Base = unsafe.SliceData(b)
			s.iov[i].SetLen(len(b))
		}
		s.msg = unix.Msghdr{Iov: &s.iov[0]}
		s.msg.SetIovlen(n)
		l.sqe().PrepSendmsg(c.fd, &s.msg, unix.MSG_NOSIGNAL, ud)
	}
	c.uops |= uringSending
	c.ur.uslot = idx
	c.wantWrite = true
}

// sendDone handles the completion of the send in slot idx: what was sent
// leaves the queue, the rest is submitted, and the connection settles
// (backpressure released, a close completed). A connection closed
// meanwhile gets its buffers back only now.
func (l *Loop) sendDone(idx int, res int32) {
	ur := l.ur
	s := ur.slots[idx]
	c := s.c
	s.c = nil
	for i := range s.iov {
		if s.iov[i].Base == nil {
			break
		}
		s.iov[i] = unix.Iovec{}
	}
	ur.free = append(ur.free, int32(idx))
	if c == nil {
		return
	}
	c.uops &^= uringSending
	if c.state == stateClosed {
		c.out.release()
		return
	}
	c.wantWrite = false
	if res < 0 {
		l.closeConn(c, wrapOp("write", syscall.Errno(-res)), false)
		return
	}
	if res > 0 {
		c.out.consume(int(res))
		c.lastActive = l.now
	}
	l.flush(c) // submits the rest; never fails on this engine
	l.settle(c)
}
