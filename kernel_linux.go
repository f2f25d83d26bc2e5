package eventpoll

import (
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DefaultBackend is the backend New uses for the empty name.
const DefaultBackend = "epoll"

// hostErr is nil: Linux's kernel is supported (New reports unknown names).
var hostErr error

// Host returns the Kernel of the running Linux system.
//
// Read, Write and Writev on descriptors that Host itself created (all of
// them non-blocking) are issued as raw system calls, without the Go
// scheduler's hand-off for calls that may block; on any other descriptor
// they are ordinary system calls. Close a descriptor Host created through
// Host (Close or Abort), so that what it remembers about the number is
// forgotten before the number is reused.
func Host() Kernel { return hostKernel{} }

// hostKernel implements Kernel with golang.org/x/sys/unix.
type hostKernel struct{ sockCalls }

func (hostKernel) NewPoller(backend string) (Poller, error) { return New(backend) }

// syscall6 issues a system call; raw skips the Go scheduler's hand-off
// (for calls that cannot block: I/O on descriptors marked nonBlocking).
func syscall6(raw bool, trap, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, syscall.Errno) {
	var r uintptr
	var e syscall.Errno
	if raw {
		r, _, e = unix.RawSyscall6(trap, a1, a2, a3, a4, a5, a6)
	} else {
		r, _, e = unix.Syscall6(trap, a1, a2, a3, a4, a5, a6)
	}
	return r, e
}

// bufPtr is the address of p's first byte, or 0 for an empty p.
func bufPtr(p []byte) uintptr {
	if len(p) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&p[0]))
}

func (hostKernel) Read(fd int, p []byte) (int, error) {
	raw := nonBlocking.has(fd)
	for {
		r, e := syscall6(raw, unix.SYS_READ, uintptr(fd), bufPtr(p), uintptr(len(p)), 0, 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			noteWouldBlock(fd, Readable)
		}
		return 0, e
	}
}

func (hostKernel) Write(fd int, p []byte) (int, error) {
	raw := nonBlocking.has(fd)
	for {
		var r uintptr
		var e syscall.Errno
		if notSocket.has(fd) {
			r, e = syscall6(raw, unix.SYS_WRITE, uintptr(fd), bufPtr(p), uintptr(len(p)), 0, 0, 0)
		} else if r, e = syscall6(raw, unix.SYS_SENDTO, uintptr(fd), bufPtr(p), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0); e == unix.ENOTSOCK {
			notSocket.set(fd, true)
			r, e = syscall6(raw, unix.SYS_WRITE, uintptr(fd), bufPtr(p), uintptr(len(p)), 0, 0, 0)
		}
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			noteWouldBlock(fd, Writable)
		}
		return 0, e
	}
}

// maxIovec bounds one gather write; longer lists are written in part and the
// caller writes the rest, as with a short write.
const maxIovec = 64

func (hostKernel) Writev(fd int, bufs [][]byte) (int, error) {
	var iov [maxIovec]unix.Iovec
	n := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if n == maxIovec {
			break
		}
		iov[n].Base = &b[0]
		iov[n].SetLen(len(b))
		n++
	}
	if n == 0 {
		return 0, nil
	}
	msg := unix.Msghdr{Iov: &iov[0]}
	msg.SetIovlen(n)
	raw := nonBlocking.has(fd)
	iovp, msgp := uintptr(unsafe.Pointer(&iov[0])), uintptr(unsafe.Pointer(&msg))
	for {
		var r uintptr
		var e syscall.Errno
		if notSocket.has(fd) {
			r, e = syscall6(raw, unix.SYS_WRITEV, uintptr(fd), iovp, uintptr(n), 0, 0, 0)
		} else if r, e = syscall6(raw, unix.SYS_SENDMSG, uintptr(fd), msgp, unix.MSG_NOSIGNAL, 0, 0, 0); e == unix.ENOTSOCK {
			notSocket.set(fd, true)
			r, e = syscall6(raw, unix.SYS_WRITEV, uintptr(fd), iovp, uintptr(n), 0, 0, 0)
		}
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			noteWouldBlock(fd, Writable)
		}
		return 0, e
	}
}

func (hostKernel) Close(fd int) error { return hostClose(fd) }

// hostClose forgets what was known about fd and closes it.
func hostClose(fd int) error {
	forgetFD(fd)
	return unix.Close(fd)
}

// forgotten clears what is known about a descriptor just opened by other
// means than the Kernel's socket and pipe calls (its number may be reused).
func forgotten(fd int, err error) (int, error) {
	if err == nil {
		forgetFD(fd)
	}
	return fd, err
}

func (hostKernel) Shutdown(fd int, how int) error { return unix.Shutdown(fd, how) }

func (hostKernel) Abort(fd int) error {
	// SO_LINGER with a zero timeout makes close send RST and drop queued data.
	_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	return hostClose(fd)
}

func (hostKernel) Dup(fd int) (int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err == nil {
		notSocket.set(nfd, notSocket.has(fd))
		nonBlocking.set(nfd, nonBlocking.has(fd))
	}
	return nfd, err
}

func (hostKernel) ReserveFD() (int, error) {
	return forgotten(unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0))
}

func (hostKernel) RegularFile() (int, error) {
	fd, err := unix.Open(os.TempDir(), unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err == nil {
		return forgotten(fd, nil)
	}
	// O_TMPFILE is not supported on every file system: create and unlink.
	f, err := os.CreateTemp("", "eventpoll-*")
	if err != nil {
		return -1, err
	}
	defer f.Close()
	os.Remove(f.Name())
	return forgotten(unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0))
}

func (hostKernel) Pipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	newFD(p[0], false)
	newFD(p[1], false)
	return p[0], p[1], nil
}

func (hostKernel) Socketpair() (a, b int, err error) {
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, err
	}
	newFD(p[0], true)
	newFD(p[1], true)
	return p[0], p[1], nil
}

func (hostKernel) Listen(network, address string, opts ListenOptions) (int, error) {
	return hostSockets.listen(network, address, opts)
}

// hostSockets is how Host makes, closes and shares sockets: created
// non-blocking and close-on-exec in one call, and recorded for raw I/O.
var hostSockets = sockMaker{socket: hostSocket, close: hostClose, reusePort: setReusePort}

func hostSocket(family, sotype int) (int, error) {
	fd, err := unix.Socket(family, sotype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	newFD(fd, true)
	return fd, nil
}

func (hostKernel) Accept(fd int) (int, error) {
	for {
		nfd, _, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			noteWouldBlock(fd, Readable)
		} else if err == nil {
			newFD(nfd, true)
		}
		return nfd, err
	}
}

func (hostKernel) Connect(network, address string) (int, error) {
	return hostSockets.connect(network, address)
}

func (hostKernel) RecvFrom(fd int, p []byte) (int, net.Addr, error) { return recvFrom(fd, p) }

func (hostKernel) SendTo(fd int, p []byte, addr net.Addr) (int, error) {
	return sendTo(fd, p, addr, unix.MSG_NOSIGNAL)
}
