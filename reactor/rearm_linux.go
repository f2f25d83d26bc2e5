package reactor

import "github.com/eventpoll/eventpoll"

// reportsEAGAIN tells whether k reports EAGAIN to the emulated backends
// itself, so that the loop need not re-arm with Modify: Host and
// PortableHost do.
func reportsEAGAIN(k eventpoll.Kernel) bool {
	return k == eventpoll.Host() || k == eventpoll.PortableHost()
}
