package reactor

// endInput is Shutdown's step for an open connection. It reads what has
// arrived (until EAGAIN, while reading is not paused by backpressure and the
// unconsumed input stays within MaxInbound) and delivers it, then ends the
// input as the peer's FIN would: a ReadHangupHandler (Pipeline) answers the
// requests already received and closes; the connections of other handlers
// close gracefully (queued output, then FIN). Bytes arriving later are
// discarded.
func (l *Loop) endInput(c *Conn) {
	for c.state == stateOpen && !c.eof && !c.paused && c.fatal == nil && !c.abort {
		room := l.cfg.maxIn - len(c.in)
		if room <= 0 {
			break
		}
		var buf []byte
		if c.inBuf != nil {
			buf = c.readSpace(min(len(l.buf), room))
		} else {
			buf = l.buf[:min(len(l.buf), room)]
		}
		n, err := l.k.Read(c.fd, buf)
		if err != nil {
			if !isAgain(err) {
				l.closeConn(c, wrapOp("read", err), false)
				return
			}
			l.rearm(c)
			break
		}
		if n == 0 {
			l.readEOF(c)
			return
		}
		c.lastActive = l.now
		if c.inBuf != nil {
			c.in = c.in[:len(c.in)+n]
		} else {
			c.in = l.buf[:n]
		}
		c.handler.OnData(c)
		l.afterData(c)
	}
	if c.state != stateOpen || c.eof {
		return
	}
	c.rdShut = true
	if h, ok := c.handler.(ReadHangupHandler); ok {
		h.OnReadHangup(c)
	} else {
		c.Close()
	}
	l.updateInterest(c)
	l.settle(c)
}
