package eventpoll

import "github.com/eventpoll/eventpoll/kevent"

// golang.org/x/sys/unix has no EVFILT_USER, EV_RECEIPT or EV_DISPATCH for
// NetBSD: the kqueue backend wakes through a pipe, makes each change in a
// call of its own, and makes OneShot with EV_ONESHOT.
const (
	hostLacks         = kevent.LackUser | kevent.LackReceipt | kevent.LackDispatch
	hostHasUserFilter = false
	hostEVFiltUser    = 0
	hostNoteTrigger   = 0
	hostEVReceipt     = 0
	hostEVDispatch    = 0
)
