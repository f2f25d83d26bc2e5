package reactor

import (
	"syscall"
	"time"

	"github.com/eventpoll/eventpoll"
)

// acceptBatch bounds the connections accepted per wake-up; listening sockets
// are level-triggered, so the rest are reported at the next Wait.
const acceptBatch = 256

// Accept backoff after EMFILE and similar errors: 5 ms doubling to 1 s.
const (
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
)

// openListener registers a listening (or datagram) socket in this loop.
// Listening sockets are level-triggered in both trigger modes.
func (l *Loop) openListener(a *listenFD) {
	if l.draining || l.stopping {
		l.k.Close(a.fd)
		a.closed = true
		a.ln.fdClosed()
		return
	}
	l.lns = append(l.lns, a)
	if a.ln.packet {
		a.pc = &PacketConn{l: l, fd: a.fd, ln: a.ln}
	}
	l.armListener(a)
}

func (l *Loop) armListener(a *listenFD) {
	if l.ur != nil {
		l.uringArmListener(a)
		return
	}
	gen, err := l.register(a.fd, eventpoll.Readable, fdEntry{ln: a})
	if err != nil && (isErr(err, syscall.ENOMEM) || isErr(err, syscall.ENOSPC)) {
		// A passing shortage (epoll_ctl): try again after a backoff, as
		// after a failed accept, rather than stop listening for good.
		l.pauseAccept(a, err)
		return
	}
	if err != nil {
		l.cfg.log.Error("reactor: cannot register listener", "addr", a.ln.addr, "err", err)
		l.closeListener(a)
		return
	}
	a.gen = gen
}

// closeListener closes one listening socket of this loop.
func (l *Loop) closeListener(a *listenFD) {
	if a.closed {
		return
	}
	a.closed = true
	for i, x := range l.lns {
		if x == a {
			l.lns = append(l.lns[:i], l.lns[i+1:]...)
			break
		}
	}
	l.timers.remove(&a.tm)
	if !a.paused {
		l.unregister(a.fd)
	}
	l.closeFD(a.fd, false)
	a.ln.fdClosed()
}

func (l *Loop) listenEvent(a *listenFD) {
	if a.pc != nil {
		l.readPackets(a.pc)
		return
	}
	tcp := a.ln.network != "unix"
	for i := 0; i < acceptBatch; i++ {
		fd, err := l.k.Accept(a.fd)
		if err != nil {
			switch {
			case isAgain(err):
				a.backoff = 0
			case isErr(err, syscall.ECONNABORTED), isErr(err, syscall.EPROTO), isErr(err, syscall.EINTR):
				continue // the peer gave up before we took the connection
			case isErr(err, syscall.EMFILE), isErr(err, syscall.ENFILE), isErr(err, syscall.ENOBUFS), isErr(err, syscall.ENOMEM):
				l.shed(a)
				l.pauseAccept(a, err)
			default:
				l.pauseAccept(a, err)
			}
			return
		}
		a.backoff = 0
		l.handOff(a, fd, tcp)
	}
}

// handOff gives an accepted connection to its loop: this one under
// AcceptReusePort, else the one with the fewest connections.
func (l *Loop) handOff(a *listenFD, fd int, tcp bool) {
	target := l
	if !a.ln.reusePort {
		target = l.s.pickLoop()
	}
	target.nconns.Add(1)
	if target == l {
		l.openAccepted(fd, tcp)
	} else if target.push(task{kind: taskConn, fd: fd, tcp: tcp}) != nil {
		l.k.Close(fd)
		target.nconns.Add(-1)
	}
}

// shed is the reserve-fd trick for EMFILE: give back the placeholder
// descriptor, accept one pending connection and close it at once (its
// client sees the close instead of waiting in the queue), take the
// placeholder again.
func (l *Loop) shed(a *listenFD) {
	if l.reserve < 0 {
		return
	}
	l.k.Close(l.reserve)
	l.reserve = -1
	if fd, err := l.k.Accept(a.fd); err == nil {
		l.k.Close(fd)
	}
	if fd, err := l.k.ReserveFD(); err == nil {
		l.reserve = fd
	}
}

// pauseAccept stops watching the listener for a backoff period (5 ms
// doubling to 1 s), so that a listener that cannot accept never spins.
func (l *Loop) pauseAccept(a *listenFD, err error) {
	if a.backoff == 0 {
		a.backoff = minAcceptBackoff
	} else {
		a.backoff = min(2*a.backoff, maxAcceptBackoff)
	}
	l.cfg.log.Warn("reactor: accept failed; pausing the listener", "addr", a.ln.addr, "err", err, "backoff", a.backoff)
	l.unregister(a.fd)
	a.paused = true
	l.timers.reset(&a.tm, l.now+int64(a.backoff))
}

// resume watches a paused listener again (its timer function).
func (a *listenFD) resume() {
	if a.closed || !a.paused {
		return
	}
	a.paused = false
	a.l.armListener(a)
}
