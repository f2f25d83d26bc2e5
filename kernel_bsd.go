//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventpoll

// Host returns the Kernel of the running system: here PortableHost, made of
// POSIX calls. NewPoller is New, so on NetBSD and OpenBSD, where no backend
// is registered, it fails with ErrHostUnsupported while every I/O call works.
func Host() Kernel { return portableKernel{} }
