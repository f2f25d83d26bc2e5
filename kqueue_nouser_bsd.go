//go:build netbsd || openbsd

package eventpoll

// golang.org/x/sys/unix has no EVFILT_USER for NetBSD and OpenBSD (nor
// EV_RECEIPT and EV_DISPATCH for NetBSD), so the kqueue backend is not
// registered there; kqueue_bsd.go still compiles, and refuses the missing
// pieces with EINVAL.
const (
	hostHasUserFilter = false
	hostEVFiltUser    = 0
	hostNoteTrigger   = 0
	hostEVReceipt     = 0
	hostEVDispatch    = 0
)

// The code above is compiled and vetted here too; it is registered where
// x/sys/unix has EVFILT_USER (kqueue_user_bsd.go).
var _ = newHostKqueue
