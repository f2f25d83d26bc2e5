package reactor

import (
	"syscall"
	"unsafe"

	"github.com/eventpoll/eventpoll/internal/uring"
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
	sqe := l.sqe()
	zc := ur.zc && !c.ur.nozc
	s.zc = false
	if len(p) == 1 {
		if zc && len(p[0]) >= uringZCMin {
			s.zc = true
			sqe.PrepSendZC(c.fd, p[0], unix.MSG_NOSIGNAL, ud)
		} else {
			sqe.PrepSend(c.fd, p[0], unix.MSG_NOSIGNAL, ud)
		}
	} else {
		n, size := min(len(p), uringMaxIov), 0
		for i, b := range p[:n] {
			s.iov[i].Base = unsafe.SliceData(b)
			s.iov[i].SetLen(len(b))
			size += len(b)
		}
		s.msg = unix.Msghdr{Iov: &s.iov[0]}
		s.msg.SetIovlen(n)
		if zc && size >= uringZCMin {
			s.zc = true
			sqe.PrepSendmsgZC(c.fd, &s.msg, unix.MSG_NOSIGNAL, ud)
		} else {
			sqe.PrepSendmsg(c.fd, &s.msg, unix.MSG_NOSIGNAL, ud)
		}
	}
	connSQE(c, sqe)
	c.uops |= uringSending
	c.ur.uslot = idx
	c.wantWrite = true
}

// sendDone handles the completion of the send in slot idx: what was sent
// leaves the queue, the rest is submitted, and the connection settles
// (backpressure released, a close completed). A connection closed
// meanwhile gets its buffers back only now. A zero-copy send's result is
// kept until its notification, since the kernel may read the buffers
// until then.
func (l *Loop) sendDone(idx int, cqe *uring.CQE) {
	ur := l.ur
	s := ur.slots[idx]
	res := cqe.Res
	switch {
	case cqe.Notif():
		res = s.res
	case cqe.More():
		s.res = res
		return
	}
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
	if res == -int32(unix.EOPNOTSUPP) && s.zc {
		c.ur.nozc = true // sent nothing; send by copy
		res = 0
	}
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
