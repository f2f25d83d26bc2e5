//go:build dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import "golang.org/x/sys/unix"

// msgNoSignal is the flag passed to send calls: a write to a reset peer
// fails with EPIPE instead of raising SIGPIPE.
const msgNoSignal = unix.MSG_NOSIGNAL

// noSIGPIPE has nothing to do on a system with MSG_NOSIGNAL.
func noSIGPIPE(int) error { return nil }
