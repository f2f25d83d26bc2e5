package sim

import "syscall"

// errnoNames are the names of the errnos sim returns, for traces and test
// failures (x/sys/unix.ErrnoName exists on Unix only).
var errnoNames = map[syscall.Errno]string{
	syscall.EADDRINUSE: "EADDRINUSE", syscall.EAFNOSUPPORT: "EAFNOSUPPORT", syscall.EAGAIN: "EAGAIN",
	syscall.EBADF: "EBADF", syscall.ECONNREFUSED: "ECONNREFUSED", syscall.ECONNRESET: "ECONNRESET",
	syscall.EDESTADDRREQ: "EDESTADDRREQ", syscall.EEXIST: "EEXIST", syscall.EINPROGRESS: "EINPROGRESS",
	syscall.EINTR: "EINTR", syscall.EINVAL: "EINVAL", syscall.EISCONN: "EISCONN", syscall.ELOOP: "ELOOP",
	syscall.EMFILE: "EMFILE", syscall.EMSGSIZE: "EMSGSIZE", syscall.ENFILE: "ENFILE", syscall.ENOENT: "ENOENT", syscall.ENOMEM: "ENOMEM", syscall.ENOBUFS: "ENOBUFS", syscall.ENOSPC: "ENOSPC",
	syscall.ENOTCONN: "ENOTCONN", syscall.ENOTSOCK: "ENOTSOCK", syscall.EOPNOTSUPP: "EOPNOTSUPP",
	syscall.EPERM: "EPERM", syscall.EPIPE: "EPIPE", syscall.EPROTOTYPE: "EPROTOTYPE", syscall.ETIMEDOUT: "ETIMEDOUT",
}

// errnoName returns e's symbolic name ("EAGAIN"), or its message for an
// errno sim does not return.
func errnoName(e syscall.Errno) string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return e.Error()
}
