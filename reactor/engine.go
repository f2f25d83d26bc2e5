package reactor

import (
	"syscall"

	"github.com/eventpoll/eventpoll"
)

const (
	edgeInterest = eventpoll.Readable | eventpoll.Writable | eventpoll.ReadHangup | eventpoll.EdgeTriggered
	closeEvents  = eventpoll.Error | eventpoll.Hangup
)

// interest is the registration a connection needs now. Under Edge it never
// changes; under Level writable interest exists only while output waits
// for the socket, and readable interest is dropped while reading is paused
// or finished.
func (c *Conn) interest() eventpoll.Events {
	if c.l.edge {
		return edgeInterest
	}
	var ev eventpoll.Events
	switch c.state {
	case stateOpen:
		if !c.paused && !c.eof {
			ev |= eventpoll.Readable
		}
	case stateClosing:
		if !c.eof {
			ev |= eventpoll.Readable // discard, and notice the peer's FIN
		}
	case stateFinWait:
		ev |= eventpoll.Readable
	}
	if c.wantWrite || c.state == stateConnecting {
		ev |= eventpoll.Writable
	}
	return ev
}

// updateInterest changes a level-triggered registration to what the
// connection needs now.
func (l *Loop) updateInterest(c *Conn) {
	if l.ur != nil {
		l.uringInterest(c)
		return
	}
	if l.edge || c.state == stateClosed {
		return
	}
	ev := c.interest()
	if uint32(ev) == c.registered {
		return
	}
	if err := l.p.Modify(c.fd, ev, eventData(c.fd, c.gen)); err != nil {
		c.fail(wrapOp("modify", err))
		return
	}
	c.registered = uint32(ev)
}

// rearm re-arms an edge-triggered registration after EAGAIN on a backend
// that emulates edge triggering (poll, select), when the Kernel does not
// tell the backend about EAGAIN itself: Modify re-arms masked conditions
// there, so the next arrival is reported. The host Kernel reports EAGAIN,
// and kernel edge triggering (epoll, sim) needs no re-arm, so then it does
// nothing (Modify would cost a system call per EAGAIN).
func (l *Loop) rearm(c *Conn) {
	if !l.rearmOnAgain || c.state == stateClosed {
		return
	}
	if err := l.p.Modify(c.fd, edgeInterest, eventData(c.fd, c.gen)); err != nil {
		c.fail(wrapOp("modify", err))
	}
}

// addConn registers a connection and opens it (OnOpen) unless it is still
// connecting.
func (l *Loop) addConn(c *Conn) error {
	if l.ur != nil {
		if err := l.uringAddConn(c); err != nil {
			return err
		}
	} else {
		ev := c.interest()
		gen, err := l.register(c.fd, ev, fdEntry{c: c})
		if err != nil {
			return err
		}
		c.gen = gen
		c.registered = uint32(ev)
	}
	l.schedule(c)
	if c.state == stateOpen {
		if c.tls != nil {
			l.tlsOpen(c) // OnOpen follows the handshake
			return nil
		}
		l.callOpen(c)
		l.settle(c)
	}
	return nil
}

// openAccepted takes a connection accepted by this or another loop.
func (l *Loop) openAccepted(fd int, tcp bool) {
	if l.draining || l.stopping {
		l.k.Close(fd)
		l.nconns.Add(-1)
		return
	}
	if tcp {
		l.k.SetNoDelay(fd, true)
	}
	c := l.newConn(fd, l.cfg.handler, true)
	l.tlsAttach(c, l.cfg.tlsServer, false)
	if err := l.addConn(c); err != nil {
		l.cfg.log.Warn("reactor: cannot register connection", "fd", fd, "err", err)
		l.k.Close(fd)
		l.nconns.Add(-1)
	}
}

// connEvent handles one readiness event of a connection.
func (l *Loop) connEvent(c *Conn, ev eventpoll.Events) {
	if c.state == stateConnecting {
		if ev&(eventpoll.Writable|closeEvents) != 0 {
			l.finishConnect(c)
		}
		return
	}
	if c.wantWrite && ev&(eventpoll.Writable|closeEvents) != 0 {
		if err := l.flush(c); err != nil {
			l.closeConn(c, err, false)
			return
		}
		l.settle(c)
		if c.state == stateClosed {
			return
		}
	}
	if ev&(eventpoll.Readable|eventpoll.ReadHangup|closeEvents) != 0 {
		l.readConn(c, l.drain || ev&(eventpoll.ReadHangup|closeEvents) != 0)
	}
	// An error or hangup that neither reading (finished) nor writing
	// (nothing queued) will surface: close now, or a level-triggered
	// registration would report it for ever.
	if ev&closeEvents != 0 && c.state != stateClosed && (c.eof || c.held) && !c.wantWrite {
		err := l.k.SocketError(c.fd)
		l.closeConn(c, wrapOp("socket", err), false)
	}
}

// readConn reads from c until EAGAIN, a short read (the socket is drained:
// on epoll a later arrival raises a new edge), end of file, backpressure or
// the read budget. drain forces reading until EAGAIN. Under Edge a
// connection stopped by the budget is queued to be read again after the
// other ready connections had their turn.
func (l *Loop) readConn(c *Conn, drain bool) {
	if c.tls != nil && c.state == stateOpen && !c.paused && c.tls.tr.pending() && !l.tlsInput(c, nil) {
		return // records left by a paused connection
	}
	total := 0
	for {
		if c.state == stateClosed || c.eof || (c.paused && c.state == stateOpen) {
			return
		}
		deliver := c.state == stateOpen && !c.rdShut
		var buf []byte
		switch {
		case !deliver || c.tls != nil:
			buf = l.buf
		case c.inBuf != nil:
			buf = c.readSpace(len(l.buf))
		default:
			buf = l.buf
		}
		n, err := l.k.Read(c.fd, buf)
		if err != nil {
			if isAgain(err) {
				l.rearm(c)
				return
			}
			l.closeConn(c, wrapOp("read", err), false)
			return
		}
		if n == 0 {
			l.readEOF(c)
			return
		}
		total += n
		c.lastActive = l.now
		if deliver && c.tls != nil {
			if !l.tlsInput(c, buf[:n]) {
				return
			}
		} else if deliver {
			if c.inBuf != nil {
				c.in = c.in[:len(c.in)+n]
			} else {
				c.in = l.buf[:n]
			}
			l.callData(c)
			if !l.afterData(c) {
				return
			}
		}
		if n < len(buf) && !drain {
			return
		}
		if total >= l.cfg.budget {
			if l.edge {
				l.requeue(c)
			}
			return
		}
	}
}

// afterData keeps the bytes OnData left, enforces MaxInbound and applies
// backpressure. It reports whether reading may go on.
func (l *Loop) afterData(c *Conn) bool {
	if len(c.in) == 0 {
		c.in = nil
		if c.inBuf != nil {
			putBuf(c.inBuf)
			c.inBuf = nil
		}
	} else if c.inBuf == nil {
		// The bytes are in the loop's buffer, which the next read reuses.
		b := getBuf(max(2*len(c.in), minBufSize))
		c.in = (*b)[:copy(*b, c.in)]
		c.inBuf = b
	}
	if len(c.in) > l.cfg.maxIn {
		l.closeConn(c, ErrInboundLimit, false)
		return false
	}
	if c.fatal != nil || c.abort || c.state != stateOpen {
		l.settle(c)
		return c.state != stateClosed
	}
	if c.out.n > l.cfg.high && !c.wantWrite {
		if err := l.flush(c); err != nil {
			l.closeConn(c, err, false)
			return false
		}
	}
	if c.out.n > l.cfg.high && !c.paused && !c.ownWrites {
		c.paused = true
		l.updateInterest(c)
		return false
	}
	return true
}

// readSpace returns free space after the connection's unconsumed bytes,
// compacting or growing its buffer so that at least min(max, len(in), 4 KiB)
// bytes are free, and at most max are offered.
func (c *Conn) readSpace(maxRead int) []byte {
	b := *c.inBuf
	start := cap(b) - cap(c.in)
	n := len(c.in)
	want := min(max(n, minBufSize), maxRead)
	if cap(b)-start-n < want {
		if cap(b)-n >= want {
			copy(b[:n], c.in)
			c.in = b[:n]
			start = 0
		} else {
			nb := getBuf(n + want)
			copy(*nb, c.in)
			putBuf(c.inBuf)
			c.inBuf = nb
			b = *nb
			c.in = b[:n]
			start = 0
		}
	}
	free := b[start+n : cap(b)]
	if len(free) > maxRead {
		free = free[:maxRead]
	}
	return free
}

// readEOF handles the peer's FIN: the remaining bytes were delivered; the
// handler may finish writing (or, as a ReadHangupHandler, keep the
// connection open), then the connection closes.
func (l *Loop) readEOF(c *Conn) {
	if c.tls != nil && l.tlsEOF(c) {
		return
	}
	c.eof = true
	switch c.state {
	case stateFinWait:
		l.closeConn(c, nil, false)
		return
	case stateOpen:
		if c.rdShut {
			break // the handler heard of the end of input at Shutdown
		}
		if h, ok := c.handler.(ReadHangupHandler); ok {
			l.callReadHangup(h, c)
		} else {
			c.state = stateClosing
			c.lingerAt = l.now + int64(l.cfg.linger)
			l.schedule(c)
		}
	}
	l.updateInterest(c)
	l.settle(c)
}

// flush writes queued output until it is sent or the socket would block
// (then it waits for writable). It returns the error that must close the
// connection (EPIPE, ECONNRESET, ...); it never closes it itself.
func (l *Loop) flush(c *Conn) error {
	if l.ur != nil {
		l.uringSend(c) // one send request in flight; more when it completes
	} else if err := l.writeQueued(c); err != nil {
		return err
	}
	if c.out.n == 0 && c.wantWrite {
		c.wantWrite = false
		l.updateInterest(c)
	}
	if c.paused && !c.held && c.out.n <= l.cfg.low {
		c.paused = false
		l.updateInterest(c)
		if l.edge || c.tls != nil {
			l.requeue(c) // TLS: records may wait in the connection's buffer
		}
		if _, ok := c.handler.(WritableHandler); ok {
			c.notifyWritable = true
			c.markDirty()
		}
	}
	if c.drainWait && c.out.n <= l.cfg.low {
		c.drainWait = false // a NetConn's writer waits for this (netconn.go)
		c.notifyWritable = true
		c.markDirty()
	}
	return nil
}

// writeQueued writes queued output (readiness engine) until it is sent or
// the socket would block, and then waits for writable. It returns the error
// that must close the connection.
func (l *Loop) writeQueued(c *Conn) error {
	for c.out.n > 0 {
		var n int
		var err error
		if p := c.out.pending(); len(p) == 1 {
			n, err = l.k.Write(c.fd, p[0])
		} else {
			n, err = l.k.Writev(c.fd, p)
		}
		if n > 0 {
			c.out.consume(n)
			c.lastActive = l.now
		}
		if err != nil {
			if isAgain(err) {
				if !c.wantWrite {
					c.wantWrite = true
					l.updateInterest(c)
				}
				l.rearm(c)
				break
			}
			return wrapOp("write", err)
		}
		if n == 0 {
			break
		}
	}
	return nil
}

// settle applies what handler callbacks asked for: a failure or Abort
// closes the connection, queued output is flushed, OnWritable is called,
// and a requested close proceeds once the output is sent.
func (l *Loop) settle(c *Conn) {
	c.dirty = false
	for {
		if c.state == stateClosed {
			return
		}
		if c.fatal != nil || c.abort {
			l.closeConn(c, c.fatal, c.abort)
			return
		}
		if c.out.n > 0 && !c.wantWrite && c.state != stateConnecting {
			if err := l.flush(c); err != nil {
				l.closeConn(c, err, false)
				return
			}
		}
		if c.notifyWritable && c.state == stateOpen {
			c.notifyWritable = false
			if h, ok := c.handler.(WritableHandler); ok {
				l.callWritable(h, c)
				continue
			}
		}
		break
	}
	if c.state == stateClosing && c.out.n == 0 {
		l.finishClose(c)
	}
}

// finishClose sends the FIN once the output is out; the descriptor is
// closed when the peer's FIN arrives or the linger timeout passes.
func (l *Loop) finishClose(c *Conn) {
	if c.eof || !c.stream {
		l.closeConn(c, nil, false)
		return
	}
	if err := l.k.Shutdown(c.fd, syscall.SHUT_WR); err != nil {
		l.closeConn(c, nil, false)
		return
	}
	c.state = stateFinWait
	c.lingerAt = l.now + int64(l.cfg.linger)
	l.schedule(c)
	l.updateInterest(c)
	if l.edge {
		l.requeue(c)
	}
}

// closeConn closes the connection now and calls OnClose. abort sends RST.
func (l *Loop) closeConn(c *Conn, err error, abort bool) {
	if c.state == stateClosed {
		return
	}
	c.state = stateClosed
	c.closed.Store(true)
	l.unregister(c.fd)
	l.closeFD(c.fd, abort)
	l.timers.remove(&c.tm)
	c.endWork()
	c.in = nil
	if c.inBuf != nil {
		putBuf(c.inBuf)
		c.inBuf = nil
	}
	if c.uops&uringSending == 0 {
		c.out.release() // else when the send completes: the kernel reads the buffers
	}
	if c.tls != nil {
		c.tlsRelease()
	}
	l.nconns.Add(-1)
	if c.dial != nil {
		c.dial <- err
		c.dial = nil
	}
	l.callClose(c, err)
}

// closeFD closes a descriptor the loop served (abort: with a reset). The
// completion engine closes it through the ring, after the cancellations
// of its requests, so that its number is not reused while a request
// submitted for it waits in the submission queue.
func (l *Loop) closeFD(fd int, abort bool) {
	if l.ur != nil {
		l.uringSubmitBeforeClose()
	}
	if abort {
		l.k.Abort(fd)
	} else {
		l.k.Close(fd)
	}
}

// schedule (re)arms the connection's timer at its earliest deadline.
func (l *Loop) schedule(c *Conn) {
	when := c.nextDeadline()
	if when == 0 {
		l.timers.remove(&c.tm)
		return
	}
	if c.tm.index >= 0 && c.tm.when == when {
		return
	}
	l.timers.reset(&c.tm, when)
}

func (c *Conn) nextDeadline() int64 {
	var d int64
	if c.idle > 0 && c.state != stateConnecting {
		d = c.lastActive + c.idle
	}
	if c.deadline != 0 && (d == 0 || c.deadline < d) {
		d = c.deadline
	}
	if c.lingerAt != 0 && (d == 0 || c.lingerAt < d) {
		d = c.lingerAt
	}
	return d
}

// connTimer handles the connection's timer: linger, deadline or idle
// timeout, or a re-arm when the idle timer was pushed back by activity.
func (l *Loop) connTimer(c *Conn) {
	now := l.now
	switch {
	case c.lingerAt != 0 && now >= c.lingerAt:
		if c.state == stateFinWait {
			l.closeConn(c, nil, false)
		} else {
			l.closeConn(c, ErrLingerTimeout, true)
		}
	case c.deadline != 0 && now >= c.deadline:
		err := ErrDeadline
		if c.tls != nil && c.tls.deadline != 0 {
			err = ErrTLSHandshakeTimeout
		}
		l.closeConn(c, err, false)
	case c.idle > 0 && c.state != stateConnecting && now >= c.lastActive+c.idle:
		l.closeConn(c, ErrIdleTimeout, false)
	default:
		l.schedule(c)
	}
}
