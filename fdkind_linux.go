package eventpoll

// notSocket marks each descriptor known not to be a socket (a pipe made by
// Pipe, or one whose sendmsg failed with ENOTSOCK), so that Write and Writev
// go straight to write(2) and writev(2) instead of a failing sendmsg first.
//
// nonBlocking marks each descriptor the host Kernel created non-blocking
// (Pipe, Socketpair, Listen, Accept, Connect, and their Dups). Read, Write
// and Writev on those cannot block, so they are issued as raw system calls,
// which skip the Go scheduler's hand-off around a call that might (the
// runtime's entersyscall and exitsyscall, and the sysmon thread's polling
// of goroutines sitting in system calls).
//
// Kernel calls that create or close a descriptor keep both bits exact. A
// descriptor made by the Kernel must therefore be closed through it
// (Close or Abort); one closed elsewhere leaves its bits behind for the
// next descriptor with that number.
var notSocket, nonBlocking fdBits

// newFD records a descriptor the Kernel just created non-blocking.
func newFD(fd int, socket bool) {
	notSocket.set(fd, !socket)
	nonBlocking.set(fd, true)
}

// forgetFD clears what is known about a descriptor being closed.
func forgetFD(fd int) {
	notSocket.set(fd, false)
	nonBlocking.set(fd, false)
}
