package eventpoll_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
)

func TestEventsString(t *testing.T) {
	cases := map[eventpoll.Events]string{
		0:                                        "0",
		eventpoll.Readable:                       "readable",
		eventpoll.Readable | eventpoll.Writable:  "readable|writable",
		eventpoll.ReadHangup | eventpoll.OneShot: "read-hangup|oneshot",
		eventpoll.Hangup | eventpoll.Events(1<<20): "hangup|0x100000",
	}
	for ev, want := range cases {
		if got := ev.String(); got != want {
			t.Errorf("%#x.String() = %q, want %q", uint32(ev), got, want)
		}
	}
}

func TestNewUnknownBackend(t *testing.T) {
	_, err := eventpoll.New("no-such-backend")
	if !errors.Is(err, eventpoll.ErrUnknownBackend) {
		t.Fatalf("New(no-such-backend) = %v, want ErrUnknownBackend", err)
	}
}

func TestBackendsDefaultFirst(t *testing.T) {
	b := eventpoll.Backends()
	if len(b) == 0 || b[0] != eventpoll.DefaultBackend {
		t.Fatalf("Backends() = %v, want %q first", b, eventpoll.DefaultBackend)
	}
}

func TestErrorsWrapErrno(t *testing.T) {
	p, err := eventpoll.New("")
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	err = p.Add(0, eventpoll.Readable, 1)
	var op *eventpoll.OpError
	if !errors.As(err, &op) || op.Op != "add" || op.FD != 0 {
		t.Fatalf("Add after Close = %v, want *OpError for add fd 0", err)
	}
	if !errors.Is(err, eventpoll.ErrClosed) || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Add after Close = %v, want ErrClosed wrapping EBADF", err)
	}
	if err := eventpoll.CheckEvents(eventpoll.Readable, eventpoll.ReservedData); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("CheckEvents(reserved data) = %v, want EINVAL", err)
	}
	if _, err := p.Wait(make([]eventpoll.Event, 1), time.Millisecond); !errors.Is(err, eventpoll.ErrClosed) {
		t.Fatalf("Wait after Close = %v, want ErrClosed", err)
	}
}

// TestHostPipeRoundTrip checks the Host kernel and the default backend
// together on the smallest case: a pipe becomes readable with its data.
func TestHostPipeRoundTrip(t *testing.T) {
	k := eventpoll.Host()
	r, w, err := k.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(r)
	defer k.Close(w)
	p, err := k.NewPoller("")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Add(r, eventpoll.Readable|eventpoll.EdgeTriggered, 42); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Write(w, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	ev := make([]eventpoll.Event, 4)
	n, err := p.Wait(ev, time.Second)
	if err != nil || n != 1 || ev[0].Data != 42 || ev[0].Events&eventpoll.Readable == 0 {
		t.Fatalf("Wait = %d, %v, %+v", n, err, ev[:n])
	}
	buf := make([]byte, 16)
	if n, err := k.Read(r, buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	if _, err := k.Read(r, buf); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("Read of drained pipe = %v, want EAGAIN", err)
	}
}
