//go:build darwin || linux || openbsd

package eventpoll

import "golang.org/x/sys/unix"

// writev writes bufs in order with one writev(2).
func writev(fd int, bufs [][]byte) (int, error) { return unix.Writev(fd, bufs) }
