package eventpoll

// Nestable is implemented by Pollers that are themselves a descriptor, as an
// epoll instance is (the epoll backend and sim's Poller): FD is readable
// while the Poller has events pending, so another Poller, or Go's runtime
// poller (os.NewFile on a dup of it), can watch it and call Wait when it is
// reported. The descriptor stays the Poller's: do not close it, and do not
// use it after Close. Adding it to a Poller it watches, directly or through
// others, fails with ELOOP, and so does a chain of more than five epoll
// instances, as in the kernel.
type Nestable interface {
	FD() int
}

// PollerFD returns the descriptor of p if p is Nestable, or -1 and false.
func PollerFD(p Poller) (int, bool) {
	if n, ok := p.(Nestable); ok {
		return n.FD(), true
	}
	return -1, false
}
