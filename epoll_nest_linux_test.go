package eventpoll_test

import (
	"os"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
	"golang.org/x/sys/unix"
)

// TestEpollNestable: the epoll backend exposes its descriptor (so the
// conformance suite's Nested cases run on the host), and the emulated
// backends, which have none, do not.
func TestEpollNestable(t *testing.T) {
	for _, b := range eventpoll.Backends() {
		p, err := eventpoll.New(b)
		if err != nil {
			t.Fatal(err)
		}
		fd, ok := eventpoll.PollerFD(p)
		switch {
		case b == "epoll" && (!ok || fd < 0):
			t.Errorf("epoll: PollerFD = %d, %v; want its descriptor", fd, ok)
		case b != "epoll" && ok:
			t.Errorf("%s: PollerFD = %d, true; it has no descriptor of its own", b, fd)
		}
		p.Close()
	}
}

// TestEpollWatchedByRuntimePoller: Go's runtime poller watches an epoll
// Poller through os.NewFile on a dup of its descriptor: a raw read on it
// is called again when the inner Poller has an event pending.
func TestEpollWatchedByRuntimePoller(t *testing.T) {
	p, err := eventpoll.New("epoll")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fd, _ := eventpoll.PollerFD(p)
	var pfd [2]int
	if err := unix.Pipe2(pfd[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pfd[0])
	defer unix.Close(pfd[1])
	if err := p.Add(pfd[0], eventpoll.Readable, 7); err != nil {
		t.Fatal(err)
	}
	d, err := unix.Dup(fd)
	if err != nil {
		t.Fatal(err)
	}
	unix.CloseOnExec(d)
	if err := unix.SetNonblock(d, true); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(d), "epoll")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		unix.Write(pfd[1], []byte("x"))
	}()
	calls := 0
	var got []eventpoll.Event
	evs := make([]eventpoll.Event, 4)
	done := make(chan error, 1)
	go func() {
		done <- rc.Read(func(uintptr) bool {
			calls++
			n, err := p.Wait(evs, 0)
			if err != nil {
				t.Error(err)
				return true
			}
			got = evs[:n]
			return n > 0
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the runtime poller never reported the epoll descriptor readable")
	}
	if len(got) != 1 || got[0] != (eventpoll.Event{Events: eventpoll.Readable, Data: 7}) {
		t.Fatalf("inner Wait = %v, want {readable 7}", got)
	}
	if calls < 2 {
		t.Fatalf("the read function ran %d times: the runtime poller did not wait", calls)
	}
}
