//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventpoll_test

import "testing"

// portableVariants are the ways PortableHost's tests run here: with this
// system's own calls only.
var portableVariants = []struct {
	name string
	use  func(testing.TB)
}{
	{"native", nil},
}
