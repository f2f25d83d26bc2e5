package eventpoll

import (
	"net"
	"time"
)

// Kernel is the one seam between the portable layers (the reactor, the
// protocol servers, the conformance suite) and an operating system. Every
// system call they make goes through it. Host returns the real kernel; the
// sim package provides a simulated one, so the same code and tests run on
// both.
//
// Descriptors a Kernel creates are non-blocking and close-on-exec. Errors
// are syscall.Errno values (possibly wrapped), so errors.Is(err, unix.EAGAIN)
// works on every implementation. Methods are safe for concurrent use.
// Read, Write, Writev, Accept, RecvFrom and SendTo restart after EINTR, and
// Connect reports it as EINPROGRESS; Close may fail with EINTR after it has
// released the descriptor, which must then not be closed again.
type Kernel interface {
	// NewPoller creates a Poller ("" means the kernel's default backend).
	NewPoller(backend string) (Poller, error)

	// Read reads into p; 0 with a nil error is end of file.
	Read(fd int, p []byte) (int, error)
	// Write writes from p. On sockets it never raises SIGPIPE: a write to a
	// reset or closed peer fails with EPIPE or ECONNRESET.
	Write(fd int, p []byte) (int, error)
	// Writev writes the buffers in order with one system call (gather write).
	Writev(fd int, bufs [][]byte) (int, error)
	// Close closes fd.
	Close(fd int) error
	// Shutdown shuts down one or both directions (unix.SHUT_RD, SHUT_WR, SHUT_RDWR).
	Shutdown(fd int, how int) error
	// Abort closes a stream socket with a reset (RST) instead of a FIN.
	Abort(fd int) error
	// Dup duplicates fd; both numbers refer to one open file.
	Dup(fd int) (int, error)
	// ReserveFD opens a placeholder descriptor that holds one slot of the fd
	// table (used to recover from EMFILE on accept).
	ReserveFD() (int, error)
	// RegularFile opens an unnamed regular file (which epoll refuses with EPERM).
	RegularFile() (int, error)

	// Pipe returns the read and write ends of a new pipe.
	Pipe() (r, w int, err error)
	// Socketpair returns two connected stream sockets.
	Socketpair() (a, b int, err error)
	// Listen creates a listening stream socket ("tcp", "tcp4", "tcp6",
	// "unix") or a bound datagram socket ("udp", "udp4", "udp6").
	Listen(network, address string, opts ListenOptions) (int, error)
	// Accept takes one pending connection; unix.EAGAIN when there is none.
	Accept(fd int) (int, error)
	// Connect starts a connection. It returns the new fd with a nil error
	// when connected at once, or with unix.EINPROGRESS: the socket becomes
	// writable when the attempt ends, and SocketError tells how it ended.
	Connect(network, address string) (int, error)
	// SocketError returns and clears the socket's pending error (SO_ERROR).
	SocketError(fd int) error
	// SetNoDelay turns Nagle's algorithm off (true) or on for a TCP socket.
	SetNoDelay(fd int, noDelay bool) error
	// SetBuffers sets the socket's receive and send buffer sizes (0 leaves one as it is).
	SetBuffers(fd int, recv, send int) error
	// LocalAddr and RemoteAddr return the socket's addresses.
	LocalAddr(fd int) (net.Addr, error)
	RemoteAddr(fd int) (net.Addr, error)
	// RecvFrom reads one datagram and its sender.
	RecvFrom(fd int, p []byte) (int, net.Addr, error)
	// SendTo sends one datagram to addr.
	SendTo(fd int, p []byte, addr net.Addr) (int, error)

	// Now returns the kernel's clock: wall time on a real kernel, virtual
	// time on a simulated one. Timers in the reactor are measured with it.
	Now() time.Time
}

// ListenOptions tunes Listen. The zero value is a listener with the
// system's default backlog and SO_REUSEADDR for TCP.
type ListenOptions struct {
	// Backlog is the accept queue length; 0 means the system maximum (SOMAXCONN).
	Backlog int
	// ReusePort sets SO_REUSEPORT so several sockets can bind one address and
	// the kernel spreads connections among them.
	ReusePort bool
}
