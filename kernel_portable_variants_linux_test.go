package eventpoll_test

import (
	"testing"

	"github.com/eventpoll/eventpoll"
)

// portableVariants are the ways PortableHost's tests run here: with Linux's
// own calls (socket flags, pipe2, accept4, Writev), and with the fcntl and
// raw writev variants that darwin and the BSDs use.
var portableVariants = []struct {
	name string
	use  func(testing.TB)
}{
	{"native", nil},
	{"fallbacks", eventpoll.UsePortableFallbacks},
}
