package sim

import (
	"syscall"
	"testing"

	"github.com/eventpoll/eventpoll/kevent"
)

// newTestKqueue returns a kernel and a kqueue on it.
func newTestKqueue(t *testing.T) (*Kernel, kevent.Queue) {
	t.Helper()
	k := New(Config{})
	q, err := kqSystem{k}.Kqueue()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return k, q
}

func kev(fd int, filter int16, flags uint16) kevent.Event {
	return kevent.Event{Ident: uint64(fd), Filter: filter, Flags: flags}
}

// kevents calls Kevent with room for 8 events and no waiting.
func kevents(t *testing.T, q kevent.Queue, changes ...kevent.Event) []kevent.Event {
	t.Helper()
	out := make([]kevent.Event, 8)
	n, err := q.Kevent(changes, out, 0)
	if err != nil {
		t.Fatalf("kevent(%v): %v", changes, err)
	}
	return out[:n]
}

// TestKqueueReceiptsAndErrors: every change with EV_RECEIPT and every failed
// change yields an EV_ERROR entry (data: the errno), and then the call
// returns without collecting events; a failed change with no room fails
// the call.
func TestKqueueReceiptsAndErrors(t *testing.T) {
	k, q := newTestKqueue(t)
	r, w, _ := k.Pipe()
	k.Write(w, []byte("x")) // r is readable: an event is pending once added
	got := kevents(t, q,
		kev(r, kevent.FilterRead, kevent.Add|kevent.Receipt),
		kev(999, kevent.FilterRead, kevent.Add),
		kev(r, kevent.FilterWrite, kevent.Delete),
		kev(r, 42, kevent.Add),
	)
	want := []syscall.Errno{0, syscall.EBADF, syscall.ENOENT, syscall.EINVAL}
	if len(got) != len(want) {
		t.Fatalf("got %d entries %v, want %d receipts and errors only", len(got), got, len(want))
	}
	for i, e := range got {
		if e.Flags != kevent.Error || syscall.Errno(e.Data) != want[i] {
			t.Fatalf("entry %d: %+v, want EV_ERROR with %v", i, e, want[i])
		}
	}
	// The knote was added: the next call returns the event.
	if got := kevents(t, q); len(got) != 1 || got[0].Ident != uint64(r) || got[0].Data != 1 {
		t.Fatalf("after the receipts: %+v, want the read event with data 1", got)
	}
	// No room for the error entry: the call fails with the errno.
	if _, err := q.Kevent([]kevent.Event{kev(999, kevent.FilterRead, kevent.Add)}, nil, 0); err != syscall.EBADF {
		t.Fatalf("failed change without room: %v, want EBADF", err)
	}
}

// TestKqueueChangesAndEventsInOneCall: without EV_RECEIPT a successful
// change list is followed by the scan in the same call.
func TestKqueueChangesAndEventsInOneCall(t *testing.T) {
	k, q := newTestKqueue(t)
	r, w, _ := k.Pipe()
	k.Write(w, []byte("abc"))
	got := kevents(t, q, kev(r, kevent.FilterRead, kevent.Add), kev(w, kevent.FilterWrite, kevent.Add))
	if len(got) != 2 || got[0].Filter != kevent.FilterRead || got[0].Data != 3 || got[1].Filter != kevent.FilterWrite {
		t.Fatalf("got %+v, want the read (data 3) and the write event", got)
	}
}

// TestKqueueModes: a plain knote is returned while ready, EV_CLEAR once per
// change, EV_DISPATCH once and then disabled until EV_ENABLE, EV_ONESHOT
// once and then deleted.
func TestKqueueModes(t *testing.T) {
	k, q := newTestKqueue(t)
	cases := []struct {
		flags         uint16
		second        int // events on a second call, nothing new happening
		deleted       bool
		enableReturns bool
	}{
		{0, 1, false, false},
		{kevent.Clear, 0, false, false},
		{kevent.Dispatch, 0, false, true},
		{kevent.OneShot, 0, true, false},
	}
	for _, c := range cases {
		r, w, _ := k.Pipe()
		k.Write(w, []byte("x"))
		if got := kevents(t, q, kev(r, kevent.FilterRead, kevent.Add|c.flags)); len(got) != 1 || got[0].Flags&c.flags != c.flags {
			t.Fatalf("flags %#x: first call %+v", c.flags, got)
		}
		if got := kevents(t, q); len(got) != c.second {
			t.Fatalf("flags %#x: second call %+v, want %d events", c.flags, got, c.second)
		}
		res := kevents(t, q, kev(r, kevent.FilterRead, kevent.Enable|kevent.Receipt))
		if gone := syscall.Errno(res[0].Data) == syscall.ENOENT; gone != c.deleted {
			t.Fatalf("flags %#x: EV_ENABLE receipt %v, deleted=%v", c.flags, syscall.Errno(res[0].Data), c.deleted)
		}
		if got := kevents(t, q); c.enableReturns && len(got) != 1 {
			t.Fatalf("flags %#x: after EV_ENABLE %+v, want the event again", c.flags, got)
		}
		if c.flags == kevent.Clear {
			k.Write(w, []byte("y")) // a new arrival: returned again
			if got := kevents(t, q); len(got) != 1 || got[0].Data != 2 {
				t.Fatalf("EV_CLEAR after new data: %+v, want one event with data 2", got)
			}
		}
		k.Close(r)
		k.Close(w)
	}
}

// TestKqueueEOF: EV_EOF on the read filter when the writer goes (data
// still counted), on the write filter when the reader goes; a socket's
// error comes in fflags.
func TestKqueueEOF(t *testing.T) {
	k, q := newTestKqueue(t)
	r, w, _ := k.Pipe()
	r2, w2, _ := k.Pipe()
	kevents(t, q, kev(r, kevent.FilterRead, kevent.Add|kevent.Receipt), kev(w2, kevent.FilterWrite, kevent.Add|kevent.Clear|kevent.Receipt))
	kevents(t, q) // w2 writable
	k.Write(w, []byte("ab"))
	k.Close(w)
	k.Close(r2)
	got := kevents(t, q)
	if len(got) != 2 || got[0].Flags&kevent.EOF == 0 || got[0].Data != 2 || got[1].Flags&kevent.EOF == 0 {
		t.Fatalf("got %+v, want read EOF with data 2 and write EOF", got)
	}
	a, b, _ := k.Socketpair()
	kevents(t, q, kev(r, kevent.FilterRead, kevent.Delete|kevent.Receipt), kev(a, kevent.FilterRead, kevent.Add|kevent.Receipt))
	k.Abort(b)
	got = kevents(t, q)
	if len(got) != 1 || got[0].Flags&kevent.EOF == 0 {
		t.Fatalf("socket pair peer closed: %+v, want read EOF", got)
	}
	k.Close(a)
	k.Close(r)
	k.Close(w2)
}

// TestKqueueUser: NOTE_TRIGGER activates an EVFILT_USER knote; with
// EV_CLEAR many triggers give one event, without it the knote stays active.
func TestKqueueUser(t *testing.T) {
	_, q := newTestKqueue(t)
	trig := kevent.Event{Ident: 7, Filter: kevent.FilterUser, Fflags: kevent.NoteTrigger}
	kevents(t, q, kevent.Event{Ident: 7, Filter: kevent.FilterUser, Flags: kevent.Add | kevent.Clear | kevent.Receipt})
	if got := kevents(t, q); len(got) != 0 {
		t.Fatalf("untriggered user knote: %+v", got)
	}
	if got := kevents(t, q, trig, trig, trig); len(got) != 1 || got[0].Ident != 7 {
		t.Fatalf("three triggers: %+v, want one event", got)
	}
	if got := kevents(t, q); len(got) != 0 {
		t.Fatalf("EV_CLEAR user knote returned again: %+v", got)
	}
	kevents(t, q, kevent.Event{Ident: 8, Filter: kevent.FilterUser, Flags: kevent.Add, Fflags: kevent.NoteTrigger})
	for range 2 {
		if got := kevents(t, q); len(got) != 1 || got[0].Ident != 8 {
			t.Fatalf("level user knote: %+v, want it every time", got)
		}
	}
}

// TestKqueueCloseDropsKnotes: closing an fd drops its knotes even when a
// dup keeps the file open (knote_fdclose), unlike epoll.
func TestKqueueCloseDropsKnotes(t *testing.T) {
	k, q := newTestKqueue(t)
	r, w, _ := k.Pipe()
	r2, _ := k.Dup(r)
	kevents(t, q, kev(r, kevent.FilterRead, kevent.Add|kevent.Receipt))
	k.Close(r)
	k.Write(w, []byte("x"))
	if got := kevents(t, q); len(got) != 0 {
		t.Fatalf("knote of a closed fd fired: %+v", got)
	}
	// The number is free; a new pipe may take it, and starts with no knote.
	r3, w3, _ := k.Pipe()
	if r3 != r {
		t.Logf("new pipe at %d, closed fd was %d", r3, r)
	}
	res := kevents(t, q, kev(r3, kevent.FilterRead, kevent.Delete))
	if len(res) != 1 || syscall.Errno(res[0].Data) != syscall.ENOENT {
		t.Fatalf("EV_DELETE on the reused number: %+v, want ENOENT", res)
	}
	k.Close(r2)
	k.Close(w)
	k.Close(r3)
	k.Close(w3)
}
