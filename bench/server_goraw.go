package main

import (
	"context"
	"net"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// serveGoRaw is the Go floor: bench/cserver/echo.c written in Go, with no
// library between the loop and the kernel. One goroutine locked to its
// thread runs one edge-triggered epoll loop; reads and writes are raw system
// calls (no runtime hand-off), and epoll_wait is tried without waiting
// before the blocking call (which does hand off, so that the runtime can run
// the rest of the process meanwhile). What a connection's socket does not
// take is kept and reading stops until EPOLLOUT, as in echo.c. It measures
// what any Go event loop pays above C for the same system calls.
func serveGoRaw(ctx context.Context, cfg serverConfig) error {
	runtime.LockOSThread()
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host).To4()
	if ip == nil {
		return &net.AddrError{Err: "IPv4 address expected", Addr: host}
	}
	ln, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(ln)
	unix.SetsockoptInt(ln, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	sa := &unix.SockaddrInet4{Port: port}
	copy(sa.Addr[:], ip)
	if err := unix.Bind(ln, sa); err != nil {
		return err
	}
	if err := unix.Listen(ln, unix.SOMAXCONN); err != nil {
		return err
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(ep)
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, ln, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(ln)}); err != nil {
		return err
	}
	stop, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(stop)
	unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, stop, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(stop)})
	go func() {
		<-ctx.Done()
		one := [8]byte{1}
		unix.Write(stop, one[:])
	}()

	var conns []*rawConn
	buf := make([]byte, 64<<10)
	evs := make([]unix.EpollEvent, 256)
	for {
		n := rawEpollWait(ep, evs)
		if n == 0 {
			var err error
			n, err = unix.EpollWait(ep, evs, -1)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
		}
		for i := range n {
			fd := int(evs[i].Fd)
			switch fd {
			case stop:
				return nil
			case ln:
				for {
					nfd, _, err := unix.Accept4(ln, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
					if err != nil {
						break // EAGAIN, or EMFILE: retried on the next event
					}
					unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
					for nfd >= len(conns) {
						conns = append(conns, nil)
					}
					conns[nfd] = &rawConn{fd: nfd}
					ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(nfd)}
					if unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, nfd, &ev) != nil {
						unix.Close(nfd)
						conns[nfd] = nil
					}
				}
				continue
			}
			c := conns[fd]
			if c == nil {
				continue
			}
			if evs[i].Events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 || !c.serve(buf) {
				unix.Close(fd)
				conns[fd] = nil
			}
		}
	}
}

// rawConn is one connection of serveGoRaw: its fd and unwritten output.
type rawConn struct {
	fd   int
	pend []byte
}

// serve reads until EAGAIN and echoes; false: drop the connection.
func (c *rawConn) serve(buf []byte) bool {
	for {
		if len(c.pend) > 0 {
			left, ok := c.flush()
			if !ok {
				return false
			}
			if left {
				return true // wait for EPOLLOUT
			}
		}
		n, errno := rawIO(unix.SYS_READ, c.fd, buf)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno == unix.EAGAIN
		}
		if n == 0 {
			return false
		}
		for off := 0; off < n; {
			w, errno := rawIO(unix.SYS_WRITE, c.fd, buf[off:n])
			if errno == unix.EINTR {
				continue
			}
			if errno == unix.EAGAIN {
				c.pend = append(c.pend, buf[off:n]...)
				return true // output full: stop reading until EPOLLOUT
			}
			if errno != 0 {
				return false
			}
			off += w
		}
	}
}

// flush writes pending output; left: some is still pending; ok false: an
// error.
func (c *rawConn) flush() (left, ok bool) {
	for len(c.pend) > 0 {
		w, errno := rawIO(unix.SYS_WRITE, c.fd, c.pend)
		if errno == unix.EINTR {
			continue
		}
		if errno == unix.EAGAIN {
			return true, true
		}
		if errno != 0 {
			return false, false
		}
		c.pend = c.pend[:copy(c.pend, c.pend[w:])]
	}
	return false, true
}

// rawIO is read(2) or write(2) as a raw system call.
func rawIO(trap uintptr, fd int, b []byte) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(r), e
}

// rawEpollWait is epoll_wait(2) with a zero timeout as a raw system call.
func rawEpollWait(ep int, evs []unix.EpollEvent) int {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), uintptr(len(evs)), 0, 0, 0)
	if e != 0 {
		return 0
	}
	return int(r)
}
