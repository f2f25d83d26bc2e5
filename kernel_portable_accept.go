//go:build darwin || netbsd || openbsd

package eventpoll

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// acceptNonblock takes one pending connection and marks it non-blocking and
// close-on-exec with fcntl (golang.org/x/sys/unix has no accept4 here),
// holding syscall.ForkLock so that no child forked in between inherits it.
func acceptNonblock(fd int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	nfd, _, err := unix.Accept(fd)
	if err != nil {
		return -1, err
	}
	unix.CloseOnExec(nfd)
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
}
