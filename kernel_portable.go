//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// PortableHost returns the Kernel made only of POSIX calls, which Host is on
// darwin, FreeBSD, DragonFly, NetBSD and OpenBSD. On Linux it exists so that
// this code runs, and is tested, on a real kernel.
//
// Its I/O calls are ordinary system calls through golang.org/x/sys/unix.
// Writes on sockets never raise SIGPIPE: they pass MSG_NOSIGNAL where the
// system has it, and on darwin every socket it creates or accepts has
// SO_NOSIGPIPE set. Close a descriptor it created through it (Close or
// Abort), so that what it remembers about the number is forgotten.
func PortableHost() Kernel { return portableKernel{} }

// portableKernel implements Kernel with POSIX calls; the few that differ
// between systems (socket flags, accept4, pipe2, SIGPIPE suppression,
// writev) are in files named for them, and each system's choice among them
// is portableCalls in kernel_portable_GOOS.go.
type portableKernel struct{ sockCalls }

// calls holds the variants of the calls that differ between systems, each
// returning non-blocking, close-on-exec descriptors. Tests on Linux swap in
// the variants other systems use, so those run on a real kernel too.
type calls struct {
	socket     func(family, sotype int) (int, error)
	socketpair func() (a, b int, err error)
	pipe       func() (r, w int, err error)
	accept     func(fd int) (int, error)
	writev     func(fd int, bufs [][]byte) (int, error)
}

// portableNotSocket marks each descriptor known not to be a socket (a pipe
// made by Pipe, or one whose sendmsg failed with ENOTSOCK), so that Write
// and Writev go straight to write(2) and writev(2).
var portableNotSocket fdBits

// portableGatherMax bounds one gather write; longer lists are written in
// part and the caller writes the rest, as with a short write.
const portableGatherMax = 64

func (portableKernel) NewPoller(backend string) (Poller, error) { return New(backend) }

func (portableKernel) Read(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			noteWouldBlock(fd, Readable)
		}
		return 0, err
	}
}

func (portableKernel) Write(fd int, p []byte) (int, error) {
	for {
		var n int
		var err error
		if portableNotSocket.has(fd) {
			n, err = unix.Write(fd, p)
		} else if n, err = unix.SendmsgN(fd, p, nil, nil, msgNoSignal); err == unix.ENOTSOCK {
			portableNotSocket.set(fd, true)
			n, err = unix.Write(fd, p)
		}
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			noteWouldBlock(fd, Writable)
		}
		return 0, err
	}
}

func (portableKernel) Writev(fd int, bufs [][]byte) (int, error) {
	var list [portableGatherMax][]byte
	n := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if n == len(list) {
			break
		}
		list[n] = b
		n++
	}
	if n == 0 {
		return 0, nil
	}
	for {
		var w int
		var err error
		if portableNotSocket.has(fd) {
			w, err = portableCalls.writev(fd, list[:n])
		} else if w, err = unix.SendmsgBuffers(fd, list[:n], nil, nil, msgNoSignal); err == unix.ENOTSOCK {
			portableNotSocket.set(fd, true)
			w, err = portableCalls.writev(fd, list[:n])
		}
		switch err {
		case nil:
			return w, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			noteWouldBlock(fd, Writable)
		}
		return 0, err
	}
}

func (portableKernel) Close(fd int) error { return portableClose(fd) }

// portableClose forgets what was known about fd and closes it.
func portableClose(fd int) error {
	portableNotSocket.set(fd, false)
	return unix.Close(fd)
}

// portableOpened clears what is known about a descriptor just opened by
// other means than the socket and pipe calls (its number may be reused).
func portableOpened(fd int, err error) (int, error) {
	if err == nil {
		portableNotSocket.set(fd, false)
	}
	return fd, err
}

func (portableKernel) Shutdown(fd int, how int) error { return unix.Shutdown(fd, how) }

func (portableKernel) Abort(fd int) error {
	// SO_LINGER with a zero timeout makes close send RST and drop queued data.
	_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	return portableClose(fd)
}

func (portableKernel) Dup(fd int) (int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err == nil {
		portableNotSocket.set(nfd, portableNotSocket.has(fd))
	}
	return nfd, err
}

func (portableKernel) ReserveFD() (int, error) {
	return portableOpened(unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0))
}

func (portableKernel) RegularFile() (int, error) {
	// Create and unlink: the file has no name once this returns.
	f, err := os.CreateTemp("", "eventpoll-*")
	if err != nil {
		return -1, err
	}
	defer f.Close()
	os.Remove(f.Name())
	return portableOpened(unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0))
}

func (portableKernel) Pipe() (r, w int, err error) {
	r, w, err = portableCalls.pipe()
	if err != nil {
		return -1, -1, err
	}
	portableNotSocket.set(r, true)
	portableNotSocket.set(w, true)
	return r, w, nil
}

func (portableKernel) Socketpair() (a, b int, err error) {
	a, b, err = portableCalls.socketpair()
	if err != nil {
		return -1, -1, err
	}
	portableNotSocket.set(a, false)
	portableNotSocket.set(b, false)
	if err := noSIGPIPE(a); err != nil {
		portableClose(a)
		portableClose(b)
		return -1, -1, err
	}
	if err := noSIGPIPE(b); err != nil {
		portableClose(a)
		portableClose(b)
		return -1, -1, err
	}
	return a, b, nil
}

// portableSocket opens a non-blocking, close-on-exec socket that never
// raises SIGPIPE.
// portableSockets is how PortableHost makes, closes and shares sockets.
var portableSockets = sockMaker{socket: portableSocket, close: portableClose, reusePort: setReusePort}

func portableSocket(family, sotype int) (int, error) {
	fd, err := portableCalls.socket(family, sotype)
	if err != nil {
		return -1, err
	}
	portableNotSocket.set(fd, false)
	if err := noSIGPIPE(fd); err != nil {
		portableClose(fd)
		return -1, err
	}
	return fd, nil
}

func (portableKernel) Listen(network, address string, opts ListenOptions) (int, error) {
	return portableSockets.listen(network, address, opts)
}

func (portableKernel) Accept(fd int) (int, error) {
	for {
		nfd, err := portableCalls.accept(fd)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			noteWouldBlock(fd, Readable)
			return -1, err
		}
		if err != nil {
			return -1, err
		}
		portableNotSocket.set(nfd, false)
		if err := noSIGPIPE(nfd); err != nil {
			portableClose(nfd)
			return -1, err
		}
		return nfd, nil
	}
}

func (portableKernel) Connect(network, address string) (int, error) {
	return portableSockets.connect(network, address)
}

func (portableKernel) RecvFrom(fd int, p []byte) (int, net.Addr, error) { return recvFrom(fd, p) }

func (portableKernel) SendTo(fd int, p []byte, addr net.Addr) (int, error) {
	return sendTo(fd, p, addr, msgNoSignal)
}
