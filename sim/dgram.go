package sim

import (
	"net"
	"net/netip"
	"sync"
	"syscall"

	ep "github.com/eventpoll/eventpoll"
)

// dgram is a bound UDP socket: a queue of datagrams bounded in bytes by the
// receive buffer; a datagram that does not fit is dropped, as UDP does.
type dgram struct {
	k      *Kernel
	mu     sync.Mutex
	wq     waitQueue
	q      []datagram
	qbytes int
	rcvbuf int
	addr   parsedAddr
	key    bindKey
	laddr  *net.UDPAddr
	closed bool
}

type datagram struct {
	data []byte
	from *net.UDPAddr
}

func (d *dgram) poll(pt *pollTable) ep.Events {
	pollWait(&d.wq, pt)
	d.mu.Lock()
	defer d.mu.Unlock()
	m := ep.Writable
	if len(d.q) > 0 {
		m |= ep.Readable
	}
	return m
}

func (d *dgram) recv(p []byte) (int, *net.UDPAddr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.q) == 0 {
		return 0, nil, syscall.EAGAIN
	}
	g := d.q[0]
	d.q[0] = datagram{}
	d.q = d.q[1:]
	d.qbytes -= len(g.data)
	return copy(p, g.data), g.from, nil
}

func (d *dgram) read(p []byte) (int, error) {
	n, _, err := d.recv(p)
	return n, err
}

func (d *dgram) writev([][]byte) (int, error) { return 0, syscall.EDESTADDRREQ }

func (d *dgram) deliver(p []byte, from *net.UDPAddr) {
	d.mu.Lock()
	if d.closed || d.qbytes+len(p) > d.rcvbuf {
		d.mu.Unlock()
		return
	}
	d.q = append(d.q, datagram{data: append([]byte(nil), p...), from: from})
	d.qbytes += len(p)
	d.mu.Unlock()
	d.wq.wake(ep.Readable)
}

func (d *dgram) release() {
	d.mu.Lock()
	d.closed = true
	d.q = nil
	d.mu.Unlock()
	d.k.unbind(d.key, nil, d)
}

// RecvFrom reads one datagram and its sender.
func (k *Kernel) RecvFrom(fd int, p []byte) (int, net.Addr, error) {
	f, err := k.get(fd)
	if err != nil {
		return 0, nil, err
	}
	defer k.put(f)
	d, ok := f.ops.(*dgram)
	if !ok {
		if s, ok := f.ops.(*sock); ok {
			n, err := s.read(p)
			if err != nil {
				return 0, nil, err
			}
			s.mu.Lock()
			ra := s.raddr
			s.mu.Unlock()
			return n, ra, nil
		}
		return 0, nil, syscall.ENOTSOCK
	}
	if err := k.ioFault(fd, f, false); err != nil {
		return 0, nil, err
	}
	n, from, err := d.recv(p)
	if k.trace.on {
		k.tracef("recvfrom %d = %d %v", fd, n, errName(err))
	}
	if err != nil {
		return 0, nil, err
	}
	return n, from, nil
}

// SendTo sends one datagram to addr (a *net.UDPAddr). A datagram to an
// address nobody has bound is dropped silently, as unconnected UDP does.
func (k *Kernel) SendTo(fd int, p []byte, addr net.Addr) (int, error) {
	f, err := k.get(fd)
	if err != nil {
		return 0, err
	}
	defer k.put(f)
	d, ok := f.ops.(*dgram)
	if !ok {
		if _, ok := f.ops.(*sock); ok {
			return 0, syscall.EISCONN
		}
		return 0, syscall.ENOTSOCK
	}
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, syscall.EAFNOSUPPORT
	}
	ip, _ := netip.AddrFromSlice(ua.IP)
	ip = ip.Unmap()
	if ip.IsUnspecified() {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if len(p) > 65507 {
		return 0, syscall.EMSGSIZE
	}
	if err := k.ioFault(fd, f, true); err != nil {
		return 0, err
	}
	k.mu.Lock()
	b := k.net.binds[bindKey{proto: "udp", port: ua.Port}]
	var to *dgram
	if b != nil && b.dg != nil && b.matches(ip) {
		to = b.dg
	}
	k.mu.Unlock()
	if k.trace.on {
		k.tracef("sendto %d %s %d", fd, ua, len(p))
	}
	if to != nil {
		to.deliver(p, d.laddr)
	}
	return len(p), nil
}
