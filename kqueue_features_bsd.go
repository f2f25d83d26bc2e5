//go:build darwin || dragonfly || freebsd

package eventpoll

import (
	"github.com/eventpoll/eventpoll/kevent"
	"golang.org/x/sys/unix"
)

// These systems have everything the kqueue backend uses: EVFILT_USER for
// Wake, EV_RECEIPT for changes applied at once, EV_DISPATCH for OneShot.
const (
	hostLacks         kevent.Lack = 0
	hostHasUserFilter             = true
	hostEVFiltUser                = unix.EVFILT_USER
	hostNoteTrigger               = unix.NOTE_TRIGGER
	hostEVReceipt                 = unix.EV_RECEIPT
	hostEVDispatch                = unix.EV_DISPATCH
)
