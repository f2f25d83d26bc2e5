package reactor

import (
	"net"

	"github.com/eventpoll/eventpoll"
	"sync"
	"time"
)

// Listener is a listening stream socket, or a bound datagram socket, opened
// by Server.Listen through the server's Kernel and served by
// Server.ServeListener. Under AcceptReusePort a TCP Listener holds one
// socket per loop, all bound to the same address.
type Listener struct {
	s         *Server
	network   string
	addr      net.Addr
	fds       []int
	reusePort bool
	packet    bool

	mu       sync.Mutex
	attached []*listenFD // one per fd once served
	closed   bool
	left     int           // fds still open while attached
	done     chan struct{} // closed when every fd is closed
}

// Listen opens a listening socket ("tcp", "tcp4", "tcp6", "unix") or a
// bound datagram socket ("udp", "udp4", "udp6") through the server's Kernel,
// without serving it yet: Addr tells the bound address (port 0 picks one).
// A Unix socket's file is not removed when the listener closes.
func (s *Server) Listen(network, address string) (*Listener, error) {
	if err := s.Start(); err != nil {
		return nil, err
	}
	k := s.cfg.k
	ln := &Listener{s: s, network: network, done: make(chan struct{})}
	switch network {
	case "udp", "udp4", "udp6":
		ln.packet = true
	case "tcp", "tcp4", "tcp6":
		ln.reusePort = s.cfg.accept == AcceptReusePort && len(s.loops) > 1
	}
	n := 1
	if ln.reusePort {
		n = len(s.loops)
	}
	opts := listenOptions(ln.reusePort)
	for i := 0; i < n; i++ {
		fd, err := k.Listen(network, address, opts)
		if err != nil {
			ln.Close()
			return nil, wrapOp("listen "+network+" "+address, err)
		}
		ln.fds = append(ln.fds, fd)
		if i == 0 {
			a, err := k.LocalAddr(fd)
			if err != nil {
				ln.Close()
				return nil, wrapOp("listen", err)
			}
			ln.addr = a
			// Later sockets bind the port the first one got.
			address = a.String()
		}
	}
	return ln, nil
}

// Addr returns the address the listener is bound to.
func (ln *Listener) Addr() net.Addr { return ln.addr }

// Close stops listening. Connections already accepted stay open. Safe from
// any goroutine; a second Close does nothing.
func (ln *Listener) Close() error {
	ln.mu.Lock()
	if ln.closed {
		ln.mu.Unlock()
		return nil
	}
	ln.closed = true
	attached := ln.attached
	ln.mu.Unlock()
	if attached == nil {
		for _, fd := range ln.fds {
			ln.kernel().Close(fd)
		}
		close(ln.done)
		return nil
	}
	for _, a := range attached {
		if a.l.push(task{kind: taskUnlisten, ln: a}) != nil {
			// The loop has exited and closed its listeners already.
			continue
		}
	}
	return nil
}

func (ln *Listener) kernel() eventpoll.Kernel { return ln.s.cfg.k }

func listenOptions(reusePort bool) eventpoll.ListenOptions {
	return eventpoll.ListenOptions{ReusePort: reusePort}
}

// attach hands each socket to a loop: one per loop under AcceptReusePort,
// otherwise spread over the loops in turn.
func (ln *Listener) attach() error {
	s := ln.s
	if ln.packet && s.cfg.packet == nil || !ln.packet && s.cfg.handler == nil {
		return ErrNoHandler
	}
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.closed {
		return ErrConnClosed
	}
	if ln.attached != nil {
		return nil
	}
	ln.left = len(ln.fds)
	defer func() {
		if ln.left == 0 {
			ln.closed = true
			close(ln.done)
		}
	}()
	for i, fd := range ln.fds {
		l := s.loops[(int(s.rr.Add(1))+i)%len(s.loops)]
		if ln.reusePort {
			l = s.loops[i%len(s.loops)]
		}
		a := &listenFD{fd: fd, ln: ln, l: l}
		a.tm = timer{index: -1, f: a.resume}
		ln.attached = append(ln.attached, a)
		if err := l.push(task{kind: taskListen, ln: a}); err != nil {
			// The server is closing: nobody will serve this socket.
			ln.kernel().Close(fd)
			ln.left--
		}
	}
	return nil
}

// fdClosed is called by a loop when it has closed one of the sockets.
func (ln *Listener) fdClosed() {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	ln.left--
	if ln.left == 0 {
		ln.closed = true
		close(ln.done)
	}
}

// listenFD is one listening socket registered in one loop.
type listenFD struct {
	fd      int
	gen     uint32
	ln      *Listener
	l       *Loop
	backoff time.Duration
	paused  bool
	closed  bool
	tm      timer
	pc      *PacketConn
}
