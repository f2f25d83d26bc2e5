//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package eventpoll

// DefaultBackend is the backend New uses for the empty name. This platform
// has no host backend: New fails with ErrHostUnsupported.
const DefaultBackend = ""

// hostErr is the error New returns for a backend nobody registered.
var hostErr = ErrHostUnsupported
