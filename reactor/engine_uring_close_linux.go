package reactor

// This file holds how the completion engine cancels a descriptor's
// requests and closes it (engine_uring_linux.go has the model).

// uringCancel cancels the requests of fd's registration before it is
// closed.
func (l *Loop) uringCancel(fd int) {
	if fd >= len(l.fds) {
		return
	}
	e := l.fds[fd]
	cancel := func(op uint8, idx int) {
		l.sqe().PrepCancel(uringData(idx, op, e.gen), 0, uringData(0, uopCancel, 0))
	}
	switch {
	case e.c != nil:
		c := e.c
		if c.uops&uringRecv != 0 && c.uops&uringRecvCancel == 0 {
			cancel(uopRecv, fd)
		}
		if c.uops&uringConnecting != 0 {
			cancel(uopConnect, fd)
		}
		if c.uops&uringWatch != 0 {
			cancel(uopWatch, fd)
		}
		if c.uops&uringSending != 0 {
			l.sqe().PrepCancel(uringData(int(c.ur.uslot), uopSend, 0), 0, uringData(0, uopCancel, 0))
		}
		c.uops &^= uringRecv | uringRecvCancel | uringConnecting | uringEOF | uringWatch
	case e.ln != nil && e.ln.pc != nil:
		cancel(uopPacket, fd)
	case e.ln != nil:
		cancel(uopAccept, fd)
	}
}

// uringSubmitBeforeClose submits the queue before a descriptor is closed
// (closeFD): the queue holds the descriptor's cancellations and may hold
// requests naming it, and once it is closed its number may be reused at
// once by another loop's accept.
func (l *Loop) uringSubmitBeforeClose() {
	r := l.ur.ring
	if r != nil && r.Unsubmitted() > 0 {
		l.ur.bufs.Publish()
		r.Submit(r.Flush(), 0)
	}
}
