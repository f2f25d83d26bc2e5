//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventpoll

// Host returns the Kernel of the running system: here PortableHost, made of
// POSIX calls. NewPoller is New.
func Host() Kernel { return portableKernel{} }
