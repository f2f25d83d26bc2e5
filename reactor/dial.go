package reactor

import (
	"context"
	"errors"
	"syscall"
)

var errDialCanceled = errors.New("reactor: dial canceled")

// Dial connects to address ("tcp", "tcp4", "tcp6", "unix") from this loop
// with a non-blocking connect and returns the connection at once, driven by
// h (nil means the server's Handler). Writes made before the connection is
// established are queued. OnOpen follows when it is; if it fails, OnClose is
// called with the error (and OnOpen never). Call it on the loop's
// goroutine; use a numeric address, since a name lookup would block the loop.
func (l *Loop) Dial(network, address string, h Handler) (*Conn, error) {
	if l.draining || l.stopping {
		return nil, ErrServerClosed
	}
	if h == nil {
		h = l.cfg.handler
	}
	if h == nil {
		return nil, ErrNoHandler
	}
	fd, err := l.k.Connect(network, address)
	if err != nil && !isErr(err, syscall.EINPROGRESS) {
		return nil, wrapOp("connect", err)
	}
	c := l.newConn(fd, h, true)
	if err != nil {
		c.state = stateConnecting
	}
	l.tlsAttach(c, tlsClientConfig(l.cfg.tlsClient, address), true)
	if network != "unix" {
		l.k.SetNoDelay(fd, true)
	}
	l.nconns.Add(1)
	if err := l.addConn(c); err != nil {
		l.k.Close(fd)
		l.nconns.Add(-1)
		return nil, wrapOp("register", err)
	}
	return c, nil
}

// startDial registers a connection prepared by DialContext.
func (l *Loop) startDial(c *Conn) {
	if l.draining || l.stopping {
		l.k.Close(c.fd)
		c.state = stateClosed
		c.closed.Store(true)
		l.nconns.Add(-1)
		c.dial <- ErrServerClosed
		return
	}
	c.lastActive = l.now
	if err := l.addConn(c); err != nil {
		l.k.Close(c.fd)
		c.state = stateClosed
		c.closed.Store(true)
		l.nconns.Add(-1)
		c.dial <- wrapOp("register", err)
		return
	}
	if c.state == stateOpen && c.dial != nil && c.tls == nil {
		c.dial <- nil
		c.dial = nil
	}
}

// finishConnect completes a non-blocking connect: SO_ERROR tells how it
// ended.
func (l *Loop) finishConnect(c *Conn) {
	if err := l.k.SocketError(c.fd); err != nil {
		l.closeConn(c, wrapOp("connect", err), false)
		return
	}
	c.state = stateOpen
	c.lastActive = l.now
	l.updateInterest(c)
	l.schedule(c)
	if c.tls != nil {
		l.tlsOpen(c) // OnOpen (and DialContext's answer) follow the handshake
		return
	}
	if c.dial != nil {
		c.dial <- nil
		c.dial = nil
	}
	l.callOpen(c)
	l.settle(c)
}

// Dial connects to address as DialContext with a background context.
func (s *Server) Dial(network, address string, h Handler) (*Conn, error) {
	return s.DialContext(context.Background(), network, address, h)
}

// DialContext connects to address with a non-blocking connect completed by
// one of the server's loops, and returns the connection once it is
// established, or the error. h drives the
// connection (nil means the server's Handler). Do not call it on a loop
// goroutine (it waits for a loop); use Loop.Dial there.
func (s *Server) DialContext(ctx context.Context, network, address string, h Handler) (*Conn, error) {
	if err := s.Start(); err != nil {
		return nil, err
	}
	if h == nil {
		h = s.cfg.handler
	}
	if h == nil {
		return nil, ErrNoHandler
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := s.pickLoop()
	fd, err := s.cfg.k.Connect(network, address)
	if err != nil && !isErr(err, syscall.EINPROGRESS) {
		return nil, wrapOp("connect", err)
	}
	if network != "unix" {
		s.cfg.k.SetNoDelay(fd, true)
	}
	c := &Conn{l: l, fd: fd, handler: h, stream: true, state: stateOpen}
	c.tm = timer{index: -1, c: c}
	c.idle = int64(s.cfg.idle)
	if err != nil {
		c.state = stateConnecting
	}
	if s.cfg.tlsClient != nil {
		l.tlsAttach(c, tlsClientConfig(s.cfg.tlsClient, address), true)
	}
	c.dial = make(chan error, 1)
	done := c.dial
	l.nconns.Add(1)
	if err := l.push(task{kind: taskDial, c: c}); err != nil {
		s.cfg.k.Close(fd)
		l.nconns.Add(-1)
		return nil, err
	}
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		l.push(task{kind: taskCancel, c: c})
		if err := <-done; err == nil {
			// Connected just before the cancel: close it.
			c.AsyncClose()
		}
		return nil, ctx.Err()
	}
}
