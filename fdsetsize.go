//go:build !netbsd

package eventpoll

// FDSetSize is the largest fd number plus one that select can watch:
// FD_SETSIZE, the number of fds in the fd_set of x/sys/unix (1024 on Linux,
// darwin, FreeBSD, DragonFly and OpenBSD; 256 on NetBSD, see
// fdsetsize_netbsd.go). The select backend refuses larger fds with
// ErrFDTooLarge.
const FDSetSize = 1024
