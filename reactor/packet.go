package reactor

import "net"

// packetBatch bounds the datagrams read per wake-up (the socket is level-
// triggered, so the rest are reported at the next Wait).
const packetBatch = 64

// PacketHandler serves a datagram socket. OnPacket runs on the socket's
// loop goroutine; p is valid until it returns.
type PacketHandler interface {
	OnPacket(pc *PacketConn, p []byte, from net.Addr)
}

// PacketConn is a datagram socket served by a loop.
type PacketConn struct {
	l  *Loop
	fd int
	ln *Listener
}

// Loop returns the loop that serves the socket.
func (pc *PacketConn) Loop() *Loop { return pc.l }

// LocalAddr returns the address the socket is bound to.
func (pc *PacketConn) LocalAddr() net.Addr { return pc.ln.addr }

// WriteTo sends one datagram to addr. Call it on the loop's goroutine; a
// datagram the socket cannot take at once fails with EAGAIN (it is not
// queued).
func (pc *PacketConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	n, err := pc.l.k.SendTo(pc.fd, p, addr)
	if err != nil {
		return n, wrapOp("sendto", err)
	}
	return n, nil
}

func (l *Loop) readPackets(pc *PacketConn) {
	h := l.cfg.packet
	for i := 0; i < packetBatch; i++ {
		n, from, err := l.k.RecvFrom(pc.fd, l.buf)
		if err != nil {
			if !isAgain(err) {
				l.cfg.log.Debug("reactor: recvfrom", "addr", pc.ln.addr, "err", err)
			}
			return
		}
		l.callPacket(h, pc, l.buf[:n], from)
	}
}
