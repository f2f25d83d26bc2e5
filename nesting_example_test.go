//go:build linux

package eventpoll_test

import (
	"fmt"
	"os"

	"github.com/eventpoll/eventpoll"
)

// An epoll Poller watched by another Poller: the outer one reports the inner
// one's descriptor while it has events pending, and the inner Wait then
// harvests them.
func ExamplePollerFD() {
	inner, _ := eventpoll.New("epoll")
	defer inner.Close()
	outer, _ := eventpoll.New("poll")
	defer outer.Close()
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()

	inner.Add(int(r.Fd()), eventpoll.Readable, 1)
	fd, ok := eventpoll.PollerFD(inner)
	fmt.Println("nestable:", ok)
	outer.Add(fd, eventpoll.Readable, 2)

	w.Write([]byte("x"))
	evs := make([]eventpoll.Event, 4)
	n, _ := outer.Wait(evs, -1)
	fmt.Println("outer:", evs[:n])
	n, _ = inner.Wait(evs, 0)
	fmt.Println("inner:", evs[:n])
	// Output:
	// nestable: true
	// outer: [{readable 2}]
	// inner: [{readable 1}]
}
