package sim

import (
	"net"
	"sync"
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// sockState is a stream socket's state.
type sockState int

const (
	sockIdle       sockState = iota // created, not connected
	sockConnecting                  // waiting for room in the listener's backlog
	sockConnected
	sockListening
	sockClosed // connection over: reset, refused, or listener closed
)

// sock is a stream socket (TCP, or AF_UNIX for socket pairs and "unix"
// addresses): struct sock with its receive queue, shutdown bits, pending
// error and wait queue (sk_wq). Both ends of a connection share one lock.
type sock struct {
	k   *Kernel
	tcp bool // TCP semantics; false: AF_UNIX stream
	mu  *sync.Mutex
	wq  waitQueue

	state   sockState
	peer    *sock
	rbuf    byteQueue
	rcvbuf  int
	sndbuf  int
	rcvShut bool // RCV_SHUTDOWN: peer sent FIN, or local SHUT_RD
	sndShut bool // SEND_SHUTDOWN
	finRcvd bool // TCP: the peer's FIN arrived (CLOSE_WAIT until we send ours)
	err     syscall.Errno
	closed  bool // the file is released (orphan)
	nodelay bool

	// AF_UNIX: the sizes of the writes queued in rbuf (its skbs); the
	// writer is woken each time one is fully consumed (sock_wfree ->
	// unix_write_space).
	segs []int

	// With Config.MaxDelay: bytes on their way to this socket, and when the
	// last segment toward it arrives (later ones arrive after it).
	inflight int
	lastAt   time.Duration

	laddr, raddr net.Addr
	ln           *listener // when listening
}

func (*sock) isStream() {}

func (k *Kernel) newSock(tcp bool, mu *sync.Mutex) *sock {
	if mu == nil {
		mu = new(sync.Mutex)
	}
	return &sock{k: k, tcp: tcp, mu: mu, rcvbuf: k.cfg.RecvBuffer, sndbuf: k.cfg.SendBuffer}
}

// free is the room left in the direction from s to its peer; called with
// the lock held.
func (s *sock) freeLocked() int {
	if s.peer == nil {
		return 0
	}
	return s.sndbuf + s.peer.rcvbuf - s.peer.rbuf.len() - s.peer.inflight
}

// arrivalLocked returns when a segment sent now toward to arrives, or
// false when segments arrive at once. It keeps one direction in order.
func (k *Kernel) arrivalLocked(to *sock) (time.Duration, bool) {
	if k.sched == nil || k.cfg.MaxDelay <= 0 || !to.tcp {
		return 0, false
	}
	k.rngMu.Lock()
	d := time.Duration(k.rng.Int63n(int64(k.cfg.MaxDelay) + 1))
	k.rngMu.Unlock()
	at := max(k.sched.now()+d, to.lastAt)
	to.lastAt = at
	return at, true
}

// arrive delivers data that was in flight. Data for a socket closed
// meanwhile is answered with a reset, as TCP does.
func (s *sock) arrive(data []byte) {
	s.mu.Lock()
	s.inflight -= len(data)
	if s.state == sockConnected && s.peer != nil && s.abortsOnDataLocked() && !s.closed {
		sender := s.peer
		s.resetLocked()
		sender.resetLocked()
		s.mu.Unlock()
		s.wq.wake(0)
		sender.wq.wake(0)
		return
	}
	if s.closed && s.state == sockConnected && s.peer != nil {
		sender := s.peer
		sender.resetLocked()
		s.mu.Unlock()
		sender.wq.wake(0)
		return
	}
	if s.state != sockConnected {
		s.mu.Unlock()
		return
	}
	s.rbuf.writev([][]byte{data}, len(data))
	s.mu.Unlock()
	s.wq.wake(ep.Readable)
}

// sendFinLocked shuts down to's receiving side (and, for an AF_UNIX peer
// that closed, its sending side: full) now or, with delays, when the FIN
// arrives; it returns the function to call after unlocking.
func (k *Kernel) sendFinLocked(to *sock, full bool) func() {
	apply := func() {
		to.rcvShut = true
		to.finRcvd = to.tcp
		if full {
			to.sndShut = true
		}
	}
	if at, ok := k.arrivalLocked(to); ok {
		return func() {
			k.sched.at(at, func() {
				to.mu.Lock()
				live := to.state == sockConnected
				if live {
					apply()
				}
				to.mu.Unlock()
				if live {
					to.wq.wake(0)
				}
			})
		}
	}
	apply()
	return func() { to.wq.wake(0) }
}

// sendResetLocked resets to now or, with delays, when the RST arrives; it
// returns the function to call after unlocking. A TCP socket whose
// connection is over (both FINs exchanged: TCP_CLOSE, its TIME_WAIT is
// elsewhere) is not affected.
func (k *Kernel) sendResetLocked(to *sock) func() {
	live := func() bool { return to.state == sockConnected && !(to.tcp && to.sndShut && to.finRcvd) }
	if at, ok := k.arrivalLocked(to); ok {
		return func() {
			k.sched.at(at, func() {
				to.mu.Lock()
				ok := live()
				if ok {
					to.resetLocked()
				}
				to.mu.Unlock()
				if ok {
					to.wq.wake(0)
				}
			})
		}
	}
	if !live() {
		return func() {}
	}
	to.resetLocked()
	return func() { to.wq.wake(0) }
}

func (s *sock) writableLocked() bool {
	return s.state == sockConnected && !s.sndShut && s.freeLocked() > 0
}

// poll is tcp_poll / unix_poll.
func (s *sock) poll(pt *pollTable) ep.Events {
	pollWait(&s.wq, pt)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == sockListening {
		if s.ln.queued() > 0 {
			return ep.Readable
		}
		return 0
	}
	var m ep.Events
	if s.state == sockIdle || s.state == sockConnecting {
		if s.state == sockIdle && !s.tcp {
			m |= ep.Hangup
		}
		return m
	}
	if (s.rcvShut && s.sndShut) || s.state == sockClosed {
		m |= ep.Hangup
	}
	if s.rcvShut {
		m |= ep.Readable | ep.ReadHangup
	}
	if s.rbuf.len() > 0 {
		m |= ep.Readable
	}
	if s.sndShut || s.state == sockClosed {
		m |= ep.Writable
	} else if s.freeLocked() > 0 {
		m |= ep.Writable
	}
	if s.err != 0 {
		m |= ep.Error
	}
	return m
}

func (s *sock) read(p []byte) (int, error) {
	s.mu.Lock()
	switch s.state {
	case sockListening, sockIdle:
		s.mu.Unlock()
		if s.tcp {
			return 0, syscall.ENOTCONN
		}
		return 0, syscall.EINVAL
	case sockConnecting:
		s.mu.Unlock()
		return 0, syscall.EAGAIN
	}
	if s.rbuf.len() > 0 && len(p) > 0 {
		peer := s.peer
		was := peer != nil && peer.writableLocked()
		n := s.rbuf.read(p)
		now := peer != nil && peer.writableLocked()
		// AF_UNIX wakes the writer whenever one of its writes is consumed
		// whole and it polls writable (unix_write_space); TCP when it
		// becomes writable.
		freed := !s.tcp && s.consumeSegsLocked(n) && peer != nil &&
			(peer.sndShut || peer.state == sockClosed || peer.freeLocked() > 0)
		s.mu.Unlock()
		if (now && !was) || freed {
			peer.wq.wake(ep.Writable)
		}
		return n, nil
	}
	if s.err != 0 && !s.finRcvd {
		// After the peer's FIN, tcp_recvmsg reports end of file before a
		// pending error (SOCK_DONE).
		err := s.err
		s.err = 0
		s.mu.Unlock()
		return 0, err
	}
	eof := s.rcvShut || s.state == sockClosed || len(p) == 0
	s.mu.Unlock()
	if eof {
		return 0, nil
	}
	return 0, syscall.EAGAIN
}

func (s *sock) writev(bufs [][]byte) (int, error) {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	s.mu.Lock()
	if s.err != 0 && s.tcp {
		// tcp_sendmsg reports a pending error first; unix_stream_sendmsg
		// does not look at it.
		err := s.err
		s.err = 0
		s.mu.Unlock()
		return 0, err
	}
	switch s.state {
	case sockConnecting:
		s.mu.Unlock()
		return 0, syscall.EAGAIN
	case sockIdle, sockListening:
		s.mu.Unlock()
		if s.tcp {
			return 0, syscall.EPIPE
		}
		return 0, syscall.ENOTCONN
	case sockClosed:
		s.mu.Unlock()
		return 0, syscall.EPIPE
	}
	if s.sndShut {
		s.mu.Unlock()
		return 0, syscall.EPIPE
	}
	peer := s.peer
	if peer.closed || (!s.tcp && peer.rcvShut) {
		if !s.tcp {
			s.mu.Unlock()
			return 0, syscall.EPIPE
		}
		// The peer's file is gone: the data is sent and answered with a
		// reset, which this socket sees from now on.
		s.resetLocked()
		s.mu.Unlock()
		s.wq.wake(0)
		return total, nil
	}
	if total == 0 {
		s.mu.Unlock()
		return 0, nil
	}
	if s.tcp && peer.abortsOnDataLocked() {
		// The data is sent; the peer answers with a reset.
		peer.resetLocked()
		s.resetLocked()
		s.mu.Unlock()
		peer.wq.wake(0)
		s.wq.wake(0)
		return total, nil
	}
	free := s.freeLocked()
	if free <= 0 {
		s.mu.Unlock()
		return 0, syscall.EAGAIN
	}
	if at, ok := s.k.arrivalLocked(peer); ok {
		var q byteQueue
		n := q.writev(bufs, free)
		peer.inflight += n
		s.mu.Unlock()
		data := q.b
		s.k.sched.at(at, func() { peer.arrive(data) })
		return n, nil
	}
	n := peer.rbuf.writev(bufs, free)
	if !s.tcp {
		peer.segs = append(peer.segs, n)
	}
	s.mu.Unlock()
	peer.wq.wake(ep.Readable)
	return n, nil
}

// abortsOnDataLocked reports whether new data makes this TCP socket reset
// the connection: it has sent its FIN and shut down reading (FIN_WAIT with
// RCV_SHUTDOWN, tcp_rcv_state_process).
func (s *sock) abortsOnDataLocked() bool {
	return s.tcp && s.sndShut && s.rcvShut && !s.finRcvd
}

// consumeSegsLocked accounts n bytes read against the queued writes and
// reports whether at least one was consumed whole.
func (s *sock) consumeSegsLocked(n int) bool {
	freed := false
	for n > 0 && len(s.segs) > 0 {
		if s.segs[0] <= n {
			n -= s.segs[0]
			s.segs = s.segs[1:]
			freed = true
		} else {
			s.segs[0] -= n
			n = 0
		}
	}
	if len(s.segs) == 0 {
		s.segs = nil
	}
	return freed
}

// resetLocked puts s in the state a received RST leaves (tcp_reset): error
// EPIPE in CLOSE_WAIT, ECONNRESET otherwise; both directions shut down.
func (s *sock) resetLocked() {
	s.err = syscall.ECONNRESET
	if s.finRcvd && !s.sndShut {
		s.err = syscall.EPIPE
	}
	s.rcvShut, s.sndShut = true, true
	s.state = sockClosed
	s.peer = nil
}

func (s *sock) shutdown(how int) error {
	s.mu.Lock()
	if s.state == sockListening && (how == syscall.SHUT_RD || how == syscall.SHUT_RDWR) {
		s.mu.Unlock()
		return nil
	}
	if s.state != sockConnected || (s.tcp && s.sndShut && s.finRcvd) {
		// Not connected, reset, or both FINs exchanged (TCP_CLOSE):
		// inet_shutdown fails, but still wakes the socket's pollers.
		if how != syscall.SHUT_RD && how != syscall.SHUT_WR && how != syscall.SHUT_RDWR {
			s.mu.Unlock()
			return syscall.EINVAL
		}
		s.mu.Unlock()
		s.wq.wake(0)
		return syscall.ENOTCONN
	}
	peer := s.peer
	wakePeer := false
	switch how {
	case syscall.SHUT_RD, syscall.SHUT_WR, syscall.SHUT_RDWR:
	default:
		s.mu.Unlock()
		return syscall.EINVAL
	}
	if how == syscall.SHUT_RD || how == syscall.SHUT_RDWR {
		s.rcvShut = true
		if !s.tcp && peer != nil {
			peer.sndShut = true
			wakePeer = true
		}
	}
	after := func() {}
	if how == syscall.SHUT_WR || how == syscall.SHUT_RDWR {
		// TCP sends one FIN; unix_shutdown wakes the peer every time.
		if peer != nil && (!s.tcp || !s.sndShut) {
			after = s.k.sendFinLocked(peer, false)
		}
		s.sndShut = true
	}
	s.mu.Unlock()
	if s.tcp {
		// Over loopback the FIN reaches the peer inside the call, before
		// inet_shutdown wakes the socket's own pollers.
		after()
		s.wq.wake(0)
		return nil
	}
	// unix_shutdown wakes the socket, then its peer.
	s.wq.wake(0)
	if wakePeer {
		peer.wq.wake(0)
	}
	after()
	return nil
}

// release is close(): a listener refuses what waits in its backlog; a
// connected TCP socket with unread data resets its peer, otherwise it sends
// a FIN; an AF_UNIX peer sees both directions shut down.
func (s *sock) release() { s.close(false) }

func (s *sock) close(abort bool) {
	s.mu.Lock()
	s.closed = true
	if s.state == sockListening {
		ln := s.ln
		s.state = sockClosed
		s.mu.Unlock()
		ln.close()
		return
	}
	peer := s.peer
	if s.state != sockConnected || peer == nil {
		s.state = sockClosed
		s.mu.Unlock()
		return
	}
	var after func()
	if s.tcp && (abort || s.rbuf.len() > 0) {
		after = s.k.sendResetLocked(peer)
	} else if !s.tcp || !s.sndShut {
		if !s.tcp && s.rbuf.len() > 0 {
			// unix_release_sock: unread data makes the peer's error
			// ECONNRESET.
			peer.err = syscall.ECONNRESET
		}
		after = s.k.sendFinLocked(peer, !s.tcp)
	} else {
		after = func() {}
	}
	s.state = sockClosed
	s.rbuf.reset()
	s.mu.Unlock()
	after()
}

// sockOf returns fd's stream socket.
func (k *Kernel) sockOf(fd int) (*sock, *file, error) {
	f, err := k.get(fd)
	if err != nil {
		return nil, nil, err
	}
	s, ok := f.ops.(*sock)
	if !ok {
		k.put(f)
		if _, dg := f.ops.(*dgram); dg {
			return nil, nil, syscall.EOPNOTSUPP
		}
		return nil, nil, syscall.ENOTSOCK
	}
	return s, f, nil
}

// Socketpair returns two connected AF_UNIX stream sockets.
func (k *Kernel) Socketpair() (a, b int, err error) {
	x := k.newSock(false, nil)
	y := k.newSock(false, x.mu)
	x.peer, y.peer = y, x
	x.state, y.state = sockConnected, sockConnected
	x.laddr, y.laddr = &net.UnixAddr{Net: "unix"}, &net.UnixAddr{Net: "unix"}
	x.raddr, y.raddr = y.laddr, x.laddr
	a, b, err = k.installPair(x, y)
	if k.trace.on {
		k.tracef("socketpair = %d %d %v", a, b, errName(err))
	}
	return a, b, err
}

// Shutdown shuts down one or both directions of a connected socket.
func (k *Kernel) Shutdown(fd int, how int) error {
	s, f, err := k.sockOf(fd)
	if err != nil {
		return err
	}
	defer k.put(f)
	err = s.shutdown(how)
	if k.trace.on {
		k.tracef("shutdown %d %d %v", fd, how, errName(err))
	}
	return err
}

// Abort closes a TCP socket with a reset: the peer's next call fails with
// ECONNRESET, later writes with EPIPE. On other sockets it is Close.
func (k *Kernel) Abort(fd int) error {
	s, f, err := k.sockOf(fd)
	if err != nil {
		if err == syscall.ENOTSOCK || err == syscall.EOPNOTSUPP {
			return k.Close(fd)
		}
		return err
	}
	if s.tcp {
		// SO_LINGER 0: the close that drops the last reference resets.
		s.mu.Lock()
		peer := s.peer
		connected := s.state == sockConnected && peer != nil
		after := func() {}
		if connected {
			after = k.sendResetLocked(peer)
			s.state = sockClosed
			s.peer = nil
			s.rbuf.reset()
		}
		s.mu.Unlock()
		after()
	}
	k.put(f)
	if k.trace.on {
		k.tracef("abort %d", fd)
	}
	return k.Close(fd)
}

// SocketError returns and clears the socket's pending error (SO_ERROR).
func (k *Kernel) SocketError(fd int) error {
	f, err := k.get(fd)
	if err != nil {
		return err
	}
	defer k.put(f)
	switch s := f.ops.(type) {
	case *sock:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.err != 0 {
			e := s.err
			s.err = 0
			return e
		}
		return nil
	case *dgram:
		return nil
	}
	return syscall.ENOTSOCK
}

// SetNoDelay records TCP_NODELAY (the simulation sends at once either way).
func (k *Kernel) SetNoDelay(fd int, noDelay bool) error {
	s, f, err := k.sockOf(fd)
	if err != nil {
		return err
	}
	defer k.put(f)
	if !s.tcp {
		return syscall.EOPNOTSUPP
	}
	s.mu.Lock()
	s.nodelay = noDelay
	s.mu.Unlock()
	return nil
}

// SetBuffers sets the receive and send buffer sizes in bytes (0 leaves one
// as it is). Unlike Linux the values are not doubled.
func (k *Kernel) SetBuffers(fd int, recv, send int) error {
	f, err := k.get(fd)
	if err != nil {
		return err
	}
	defer k.put(f)
	switch s := f.ops.(type) {
	case *sock:
		s.mu.Lock()
		peer := s.peer
		was := peer != nil && peer.writableLocked()
		if recv > 0 {
			s.rcvbuf = recv
		}
		if send > 0 {
			s.sndbuf = send
		}
		now := peer != nil && peer.writableLocked()
		s.mu.Unlock()
		if !was && now {
			peer.wq.wake(ep.Writable)
		}
		return nil
	case *dgram:
		s.mu.Lock()
		if recv > 0 {
			s.rcvbuf = recv
		}
		s.mu.Unlock()
		return nil
	}
	return syscall.ENOTSOCK
}

// LocalAddr returns the socket's own address.
func (k *Kernel) LocalAddr(fd int) (net.Addr, error) {
	f, err := k.get(fd)
	if err != nil {
		return nil, err
	}
	defer k.put(f)
	switch s := f.ops.(type) {
	case *sock:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.laddr, nil
	case *dgram:
		return s.laddr, nil
	}
	return nil, syscall.ENOTSOCK
}

// RemoteAddr returns the connected peer's address.
func (k *Kernel) RemoteAddr(fd int) (net.Addr, error) {
	f, err := k.get(fd)
	if err != nil {
		return nil, err
	}
	defer k.put(f)
	switch s := f.ops.(type) {
	case *sock:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.raddr == nil || s.state == sockListening || s.state == sockIdle {
			return nil, syscall.ENOTCONN
		}
		return s.raddr, nil
	case *dgram:
		return nil, syscall.ENOTCONN
	}
	return nil, syscall.ENOTSOCK
}
