//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventpoll

// DefaultBackend is the backend New uses for the empty name.
const DefaultBackend = "kqueue"

// hostErr is nil: kqueue runs here (New reports unknown names).
var hostErr error
