package eventpoll

import (
	"sync"

	"golang.org/x/sys/unix"
)

// emuRdhupBit returns the bit an emulated poller asks poll(2) for ReadHangup
// with: unix.POLLRDHUP where this kernel's poll(2) reports it, 0 otherwise.
// FreeBSD added POLLRDHUP in 2021 (FreeBSD 14.0; x/sys/unix defines it for
// every FreeBSD); an older kernel is assumed to ignore the bit rather than
// fail, but rather than rely on that the bit is used only when a probe
// finds it reported (rdhupProbe), once per process. Without it ReadHangup is
// reported only with POLLHUP, and Capabilities.ReadHangup is false.
func emuRdhupBit(string) int16 { return freebsdRdhup() }

var freebsdRdhup = sync.OnceValue(func() int16 {
	if rdhupProbe(unix.POLLRDHUP) {
		return unix.POLLRDHUP
	}
	return 0
})
