//go:build darwin || dragonfly || netbsd || openbsd

package eventpoll

// emuRdhupBit returns the bit an emulated poller asks poll(2) for ReadHangup
// with: none on these systems, whose poll(2) has no POLLRDHUP. ReadHangup is
// then reported only with POLLHUP, and Capabilities.ReadHangup is false.
func emuRdhupBit(string) int16 { return 0 }
