package sim

import (
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"

	ep "github.com/eventpoll/eventpoll"
)

// network is the in-memory network: bound addresses and port allocation.
// It is guarded by Kernel.mu.
type network struct {
	binds    map[bindKey]*binding
	nextPort int // next ephemeral port to try
}

// bindKey names a bound address: a protocol and a port, or a unix path.
type bindKey struct {
	proto string // "tcp", "udp", "unix"
	port  int
	path  string
}

// binding is what is bound at a key: an IP (invalid: any address) and the
// listening sockets (several with ReusePort) or a datagram socket.
type binding struct {
	ip        netip.Addr
	reusePort bool
	lns       []*listener
	rr        int
	dg        *dgram
}

func (n *network) init() {
	n.binds = make(map[bindKey]*binding)
	n.nextPort = 32768
}

// ephemeralLocked returns a free port for proto.
func (n *network) ephemeralLocked(proto string) int {
	for range 28232 {
		p := n.nextPort
		n.nextPort++
		if n.nextPort > 60999 {
			n.nextPort = 32768
		}
		if _, used := n.binds[bindKey{proto: proto, port: p}]; !used {
			return p
		}
	}
	return 0
}

// parsedAddr is a resolved address string.
type parsedAddr struct {
	proto string // "tcp", "udp", "unix"
	ip    netip.Addr
	port  int
	path  string
}

func (a parsedAddr) key() bindKey {
	if a.proto == "unix" {
		return bindKey{proto: "unix", path: a.path}
	}
	return bindKey{proto: a.proto, port: a.port}
}

func (a parsedAddr) netAddr() net.Addr {
	switch a.proto {
	case "unix":
		return &net.UnixAddr{Name: a.path, Net: "unix"}
	case "udp":
		return &net.UDPAddr{IP: a.ipOrAny().AsSlice(), Port: a.port}
	}
	return &net.TCPAddr{IP: a.ipOrAny().AsSlice(), Port: a.port}
}

func (a parsedAddr) ipOrAny() netip.Addr {
	if a.ip.IsValid() {
		return a.ip
	}
	return netip.IPv4Unspecified()
}

// parseAddr resolves network and address as Listen and Connect take them.
func parseAddr(network, address string, listen bool) (parsedAddr, error) {
	switch network {
	case "unix":
		if address == "" {
			return parsedAddr{}, syscall.EINVAL
		}
		return parsedAddr{proto: "unix", path: address}, nil
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return parsedAddr{}, syscall.EAFNOSUPPORT
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return parsedAddr{}, syscall.EINVAL
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return parsedAddr{}, syscall.EINVAL
	}
	a := parsedAddr{proto: network[:3], port: port}
	v6 := len(network) == 4 && network[3] == '6'
	v4 := len(network) == 4 && network[3] == '4'
	switch host {
	case "":
		if !listen {
			a.ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			if v6 {
				a.ip = netip.IPv6Loopback()
			}
		}
	case "localhost":
		a.ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if v6 {
			a.ip = netip.IPv6Loopback()
		}
	default:
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return parsedAddr{}, syscall.EINVAL
		}
		ip = ip.Unmap()
		if (v4 && !ip.Is4()) || (v6 && ip.Is4()) {
			return parsedAddr{}, syscall.EAFNOSUPPORT
		}
		if ip.IsUnspecified() {
			if !listen {
				ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			} else {
				ip = netip.Addr{}
			}
		}
		a.ip = ip
	}
	if !listen && port == 0 {
		return parsedAddr{}, syscall.ECONNREFUSED
	}
	return a, nil
}

// matches reports whether a binding accepts traffic for ip.
func (b *binding) matches(ip netip.Addr) bool {
	return !b.ip.IsValid() || !ip.IsValid() || b.ip == ip
}

// listener is a listening socket's accept queue (icsk_accept_queue) and the
// connects waiting for room in it.
type listener struct {
	s       *sock
	mu      sync.Mutex
	backlog int
	queue   []*sock // established, not yet accepted (server ends)
	pending []*sock // client ends waiting for room
	addr    parsedAddr
	key     bindKey
	closed  bool
}

func (ln *listener) queued() int {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	return len(ln.queue)
}

// Listen creates a listening stream socket ("tcp", "tcp4", "tcp6", "unix")
// or a bound datagram socket ("udp", "udp4", "udp6"). Port 0 picks a free
// port; a bound address fails with EADDRINUSE unless every socket on it
// asked for ReusePort.
func (k *Kernel) Listen(network, address string, opts ep.ListenOptions) (int, error) {
	a, err := parseAddr(network, address, true)
	if err != nil {
		return -1, err
	}
	var ops fileOps
	var ln *listener
	var dg *dgram
	if a.proto == "udp" {
		dg = &dgram{k: k, rcvbuf: k.cfg.RecvBuffer}
		ops = dg
	} else {
		s := k.newSock(a.proto == "tcp", nil)
		s.state = sockListening
		backlog := opts.Backlog
		if backlog <= 0 {
			backlog = 4096
		}
		ln = &listener{s: s, backlog: backlog}
		s.ln = ln
		ops = s
	}
	f := k.newFile(ops)
	k.mu.Lock()
	if a.port == 0 && a.proto != "unix" {
		a.port = k.net.ephemeralLocked(a.proto)
	}
	key := a.key()
	b := k.net.binds[key]
	if b != nil && !(opts.ReusePort && b.reusePort && b.ip == a.ip && dg == nil && b.dg == nil) {
		k.mu.Unlock()
		if k.trace.on {
			k.tracef("listen %s %s: EADDRINUSE", network, address)
		}
		return -1, syscall.EADDRINUSE
	}
	fd, err := k.installLocked(f)
	if err != nil {
		k.mu.Unlock()
		return -1, err
	}
	if b == nil {
		b = &binding{ip: a.ip, reusePort: opts.ReusePort}
		k.net.binds[key] = b
	}
	if ln != nil {
		ln.addr, ln.key = a, key
		ln.s.laddr = a.netAddr()
		b.lns = append(b.lns, ln)
	} else {
		dg.addr, dg.key = a, key
		dg.laddr = a.netAddr().(*net.UDPAddr)
		b.dg = dg
	}
	if k.trace.on {
		k.tracefLocked("listen %s %s = %d", network, address, fd)
	}
	k.mu.Unlock()
	return fd, nil
}

// unbind removes ln from its binding.
func (k *Kernel) unbind(key bindKey, ln *listener, dg *dgram) {
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.net.binds[key]
	if b == nil {
		return
	}
	if dg != nil && b.dg == dg {
		delete(k.net.binds, key)
		return
	}
	for i, x := range b.lns {
		if x == ln {
			b.lns = append(b.lns[:i], b.lns[i+1:]...)
			break
		}
	}
	if len(b.lns) == 0 && b.dg == nil {
		delete(k.net.binds, key)
	}
}

// close is the listener's release: unbind, reset what was established but
// not accepted, refuse what waited for room.
func (ln *listener) close() {
	k := ln.s.k
	k.unbind(ln.key, ln, nil)
	ln.mu.Lock()
	ln.closed = true
	queue, pending := ln.queue, ln.pending
	ln.queue, ln.pending = nil, nil
	ln.mu.Unlock()
	for _, s := range queue {
		s.close(true)
	}
	for _, c := range pending {
		c.mu.Lock()
		if c.state == sockConnecting {
			c.state = sockClosed
			c.err = syscall.ECONNREFUSED
			c.rcvShut, c.sndShut = true, true
		}
		c.mu.Unlock()
		c.wq.wake(0)
	}
}

// Connect starts a stream connection. A TCP connect returns EINPROGRESS: the
// connection is established as soon as the listener's backlog has room (at
// once, usually), which makes the socket writable; a refused one becomes
// writable with SocketError ECONNREFUSED. A "unix" connect completes at once
// or fails with ECONNREFUSED.
func (k *Kernel) Connect(network, address string) (int, error) {
	a, err := parseAddr(network, address, false)
	if err != nil {
		if err == syscall.ECONNREFUSED {
			return k.refusedSocket(network)
		}
		return -1, err
	}
	if a.proto == "udp" {
		return -1, syscall.EPROTOTYPE
	}
	tcp := a.proto == "tcp"
	c := k.newSock(tcp, nil)
	f := k.newFile(c)
	k.mu.Lock()
	fd, err := k.installLocked(f)
	if err != nil {
		k.mu.Unlock()
		return -1, err
	}
	var ln *listener
	if b := k.net.binds[a.key()]; b != nil && len(b.lns) > 0 && b.matches(a.ip) {
		ln = b.lns[b.rr%len(b.lns)]
		b.rr++
	}
	if tcp {
		local := parsedAddr{proto: "tcp", ip: a.ip, port: k.net.ephemeralLocked("tcp")}
		c.laddr = local.netAddr()
	} else {
		c.laddr = &net.UnixAddr{Net: "unix"}
	}
	k.mu.Unlock()
	c.raddr = a.netAddr()
	if ln == nil {
		if k.trace.on {
			k.tracef("connect %s %s = %d ECONNREFUSED", network, address, fd)
		}
		if !tcp {
			k.Close(fd)
			return -1, syscall.ECONNREFUSED
		}
		c.mu.Lock()
		c.state = sockClosed
		c.err = syscall.ECONNREFUSED
		c.rcvShut, c.sndShut = true, true
		c.mu.Unlock()
		return fd, syscall.EINPROGRESS
	}
	c.mu.Lock()
	c.state = sockConnecting
	at, delayed := k.arrivalLocked(c)
	c.mu.Unlock()
	if delayed {
		// The handshake takes a seeded time on the virtual clock.
		k.sched.at(at, func() { ln.offer(c) })
		if k.trace.on {
			k.tracef("connect %s %s = %d (in flight)", network, address, fd)
		}
		return fd, syscall.EINPROGRESS
	}
	ok := ln.offer(c)
	if k.trace.on {
		k.tracef("connect %s %s = %d", network, address, fd)
	}
	if !tcp && ok {
		return fd, nil
	}
	return fd, syscall.EINPROGRESS
}

// refusedSocket returns a socket whose connect already failed.
func (k *Kernel) refusedSocket(network string) (int, error) {
	if network == "unix" {
		return -1, syscall.ECONNREFUSED
	}
	c := k.newSock(true, nil)
	c.state = sockClosed
	c.err = syscall.ECONNREFUSED
	c.rcvShut, c.sndShut = true, true
	fd, _, err := k.installNew(c)
	if err != nil {
		return -1, err
	}
	return fd, syscall.EINPROGRESS
}

// offer puts client c's connection in the backlog, or among the pending
// connects when the backlog is full; it reports whether c is connected.
func (ln *listener) offer(c *sock) bool {
	ln.mu.Lock()
	if ln.closed {
		ln.mu.Unlock()
		c.mu.Lock()
		c.state, c.err = sockClosed, syscall.ECONNREFUSED
		c.rcvShut, c.sndShut = true, true
		c.mu.Unlock()
		c.wq.wake(0)
		return false
	}
	c.mu.Lock()
	gone := c.closed || c.state != sockConnecting
	c.mu.Unlock()
	if gone {
		// The client gave up before the handshake completed.
		ln.mu.Unlock()
		return false
	}
	if len(ln.queue) >= ln.backlog {
		ln.pending = append(ln.pending, c)
		ln.mu.Unlock()
		return false
	}
	ln.establishLocked(c)
	ln.mu.Unlock()
	ln.s.wq.wake(ep.Readable)
	c.wq.wake(0)
	return true
}

// establishLocked creates the server end of c's connection and queues it;
// ln.mu is held.
func (ln *listener) establishLocked(c *sock) {
	k := ln.s.k
	c.mu.Lock()
	s := k.newSock(c.tcp, c.mu)
	s.laddr = ln.addr.netAddr()
	if ln.addr.proto != "unix" && !ln.addr.ip.IsValid() {
		if ta, ok := c.raddr.(*net.TCPAddr); ok {
			s.laddr = &net.TCPAddr{IP: ta.IP, Port: ta.Port}
		}
	}
	s.raddr = c.laddr
	s.state = sockConnected
	s.peer, c.peer = c, s
	c.state = sockConnected
	c.mu.Unlock()
	ln.queue = append(ln.queue, s)
}

// Accept takes one established connection; EAGAIN when there is none.
func (k *Kernel) Accept(fd int) (int, error) {
	s, f, err := k.sockOf(fd)
	if err != nil {
		return -1, err
	}
	defer k.put(f)
	s.mu.Lock()
	ln := s.ln
	listening := s.state == sockListening
	s.mu.Unlock()
	if !listening {
		return -1, syscall.EINVAL
	}
	if err := k.acceptFault(fd, f); err != nil {
		return -1, err
	}
	ln.mu.Lock()
	if len(ln.queue) == 0 {
		ln.mu.Unlock()
		return -1, syscall.EAGAIN
	}
	c := ln.queue[0]
	nf := k.newFile(c)
	nfd, err := k.install(nf)
	if err != nil {
		ln.mu.Unlock()
		if k.trace.on {
			k.tracef("accept %d: %v", fd, errName(err))
		}
		return -1, err
	}
	ln.queue = ln.queue[1:]
	// Room freed: complete the oldest waiting connect.
	var woken []*sock
	for len(ln.pending) > 0 && len(ln.queue) < ln.backlog {
		p := ln.pending[0]
		ln.pending = ln.pending[1:]
		p.mu.Lock()
		alive := p.state == sockConnecting && !p.closed
		p.mu.Unlock()
		if alive {
			ln.establishLocked(p)
			woken = append(woken, p)
		}
	}
	ln.mu.Unlock()
	for _, p := range woken {
		p.wq.wake(0)
	}
	if len(woken) > 0 {
		s.wq.wake(ep.Readable)
	}
	if k.trace.on {
		k.tracef("accept %d = %d", fd, nfd)
	}
	return nfd, nil
}
