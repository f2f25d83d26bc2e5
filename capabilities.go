package eventpoll

// Capabilities says how a backend implements the one documented meaning, so
// that callers choose a policy by what a Poller does rather than by its name.
// The zero value describes a backend that promises the shared meaning only.
type Capabilities struct {
	// KernelEdge: EdgeTriggered and OneShot are delivered by the kernel
	// itself, as epoll does: one readiness change reaches exactly one of
	// several waiters, and a short read need not be followed by a read that
	// fails with EAGAIN before the next edge is reported.
	KernelEdge bool
	// EmulatedEdge: EdgeTriggered and OneShot are emulated in user space
	// (poll, select): a registration is re-armed by Modify, or when an I/O
	// call through the Kernel that created the Poller fails with EAGAIN.
	// Callers on another Kernel re-arm with Modify after EAGAIN.
	EmulatedEdge bool
	// KeyedByFile: a registration is keyed by the fd and its open file, so
	// closing one of two descriptors of a file leaves it registered.
	KeyedByFile bool
	// Exclusive: Add accepts the Exclusive mode.
	Exclusive bool
	// ReadHangup: ReadHangup is reported when the peer shuts down only its
	// writing side (a TCP FIN, shutdown(SHUT_WR) of a stream socket pair),
	// as epoll reports EPOLLRDHUP: epoll, io_uring and kqueue (EV_EOF of
	// the read filter), poll and select on Linux (POLLRDHUP), and on
	// FreeBSD where the kernel's poll(2) has POLLRDHUP (14.0 and later).
	//
	// Without it (poll and select on darwin, NetBSD, OpenBSD, DragonFly and
	// older FreeBSD, whose poll(2) has no POLLRDHUP) ReadHangup is reported
	// only with Hangup, when the connection is gone in both directions; a
	// peer's write shutdown shows as Readable only. A program that needs to
	// see it asks for Readable and takes a read that returns 0 (end of file)
	// as the peer's FIN; a registration for ReadHangup alone does not
	// report it there.
	ReadHangup bool
	// FDLimit, when positive, is the first fd number Add refuses with
	// ErrFDTooLarge (select: FDSetSize).
	FDLimit int
}

// Capable is implemented by Pollers that report their Capabilities. Every
// backend of this package does.
type Capable interface {
	Capabilities() Capabilities
}

// CapabilitiesOf returns p's Capabilities, or the zero value (the shared
// meaning only) for a Poller that does not implement Capable.
func CapabilitiesOf(p Poller) Capabilities {
	if c, ok := p.(Capable); ok {
		return c.Capabilities()
	}
	return Capabilities{}
}
