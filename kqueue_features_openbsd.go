package eventpoll

import (
	"github.com/eventpoll/eventpoll/kevent"
	"golang.org/x/sys/unix"
)

// golang.org/x/sys/unix has no EVFILT_USER for OpenBSD: the kqueue backend
// wakes through a pipe (kevent.LackUser). EV_RECEIPT and EV_DISPATCH are
// there.
const (
	hostLacks         = kevent.LackUser
	hostHasUserFilter = false
	hostEVFiltUser    = 0
	hostNoteTrigger   = 0
	hostEVReceipt     = unix.EV_RECEIPT
	hostEVDispatch    = unix.EV_DISPATCH
)
