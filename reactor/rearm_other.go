//go:build !linux

package reactor

import "github.com/eventpoll/eventpoll"

// reportsEAGAIN tells whether k reports EAGAIN to the emulated backends
// itself. No backend emulates edge triggering here, so it matters not.
func reportsEAGAIN(k eventpoll.Kernel) bool { return k == eventpoll.Host() }
