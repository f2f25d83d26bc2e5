//go:build netbsd || openbsd

package eventpoll

// DefaultBackend is the backend New uses for the empty name. x/sys/unix has
// no EVFILT_USER here, so the kqueue backend is not registered (see
// kqueue_nouser_bsd.go) and poll is the default.
const DefaultBackend = "poll"

// hostErr is nil: poll runs here (New reports unknown names).
var hostErr error
