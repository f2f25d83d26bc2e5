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
