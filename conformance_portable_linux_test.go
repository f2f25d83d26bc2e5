package eventpoll_test

import (
	"os"
	"slices"
	"testing"

	"github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/eventpolltest"
)

// TestConformancePortable runs the conformance suite against every
// registered backend over PortableHost, the Kernel that Host is on darwin
// and the BSDs, so that its code runs on a real kernel here, with Linux's
// own calls and with the other systems' variants:
// TestConformancePortable/<variant>/<backend>/<case>. No descriptor may be
// left open. The default run covers epoll (the kernel's triggers) and poll
// (emulated edges, which depend on the Kernel reporting EAGAIN); with
// EVENTPOLL_LONG=1 every backend.
func TestConformancePortable(t *testing.T) {
	before := openFDs(t)
	for _, v := range portableVariants {
		t.Run(v.name, func(t *testing.T) {
			if v.use != nil {
				v.use(t)
			}
			for _, b := range eventpoll.Backends() {
				if os.Getenv("EVENTPOLL_LONG") != "1" && !slices.Contains([]string{"epoll", "poll"}, b) {
					continue
				}
				t.Run(b, func(t *testing.T) {
					skipUnavailable(t, b)
					eventpolltest.Run(t, eventpoll.PortableHost(), b)
				})
			}
		})
	}
	if after := openFDs(t); before != nil && after != nil {
		for fd, target := range after {
			if _, ok := before[fd]; !ok {
				t.Errorf("fd %s (%s) left open by the suite", fd, target)
			}
		}
	}
}
