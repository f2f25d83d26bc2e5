//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventpoll

// noteWouldBlock has nothing to re-arm here: the emulated backends (poll and
// select with edge-triggered and one-shot items) run on Linux only.
func noteWouldBlock(int, Events) {}
