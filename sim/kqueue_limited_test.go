package sim

import (
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/kevent"
)

// TestKqueueLimitedRefuses: the limited variants' kevent refuses, with
// EINVAL and before making any change, a change that uses what the variant
// lacks (as the host translation on OpenBSD and NetBSD does), and accepts
// the rest.
func TestKqueueLimitedRefuses(t *testing.T) {
	for variant, lacks := range kqueueLacks {
		t.Run(variant, func(t *testing.T) {
			k := New(Config{})
			q, err := kqLimited{kqSystem{k}, lacks}.Kqueue()
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			r, _, _ := k.Pipe()
			cases := []struct {
				ch   kevent.Event
				lack kevent.Lack
			}{
				{kevent.Event{Ident: 7, Filter: kevent.FilterUser, Flags: kevent.Add | kevent.Clear}, kevent.LackUser},
				{kev(r, kevent.FilterRead, kevent.Add|kevent.Receipt), kevent.LackReceipt},
				{kev(r, kevent.FilterRead, kevent.Add|kevent.Dispatch), kevent.LackDispatch},
				{kev(r, kevent.FilterRead, kevent.Add|kevent.OneShot), 0},
			}
			for _, c := range cases {
				_, err := q.Kevent([]kevent.Event{kev(r, kevent.FilterWrite, kevent.Add), c.ch}, nil, 0)
				if lacks&c.lack != 0 {
					if err != syscall.EINVAL {
						t.Errorf("%+v: %v, want EINVAL", c.ch, err)
					}
					// Nothing was made: the first change either.
					if _, err := q.Kevent([]kevent.Event{kev(r, kevent.FilterWrite, kevent.Delete)}, nil, 0); err != syscall.ENOENT {
						t.Errorf("%+v: delete of the first change: %v, want ENOENT", c.ch, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("%+v: %v, want success", c.ch, err)
				}
				q.Kevent([]kevent.Event{kev(r, kevent.FilterWrite, kevent.Delete)}, nil, 0)
			}
		})
	}
}

// wakePipeOf returns the read and write ends of the only pipe open on k.
func wakePipeOf(t *testing.T, k *Kernel) (r, w int, p *pipe) {
	t.Helper()
	r, w = -1, -1
	k.mu.Lock()
	defer k.mu.Unlock()
	for fd, f := range k.fds {
		switch ops := f.opsOrNil().(type) {
		case *pipeReader:
			r, p = fd, ops.p
		case *pipeWriter:
			w = fd
		}
	}
	if r < 0 || w < 0 {
		t.Fatalf("no wake pipe open (read end %d, write end %d)", r, w)
	}
	return r, w, p
}

func pipeLen(p *pipe) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.len()
}

// TestKqueueLimitedWakePipe: without EVFILT_USER the kqueue backend wakes
// through a pipe of its own: it holds two more descriptors, refuses to
// register them, keeps at most one byte in the pipe however many Wakes
// come, lets one Wait return for them and read the byte back, and on Close
// ends every blocked Wait and closes the pipe.
func TestKqueueLimitedWakePipe(t *testing.T) {
	for _, variant := range []string{"kqueue-openbsd", "kqueue-netbsd"} {
		t.Run(variant, func(t *testing.T) {
			k := New(Config{})
			before := k.OpenFDs()
			full, err := k.NewPoller("kqueue")
			if err != nil {
				t.Fatal(err)
			}
			fullFDs := k.OpenFDs() - before
			full.Close()
			p, err := k.NewPoller(variant)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.OpenFDs() - before; got != fullFDs+2 {
				t.Fatalf("%s holds %d descriptors, want %d (the kqueue's %d and a pipe)", variant, got, fullFDs+2, fullFDs)
			}
			r, w, pp := wakePipeOf(t, k)
			for _, fd := range []int{r, w} {
				if err := p.Add(fd, ep.Readable, 1); !errors.Is(err, syscall.EINVAL) {
					t.Fatalf("Add(wake pipe fd %d) = %v, want EINVAL", fd, err)
				}
			}
			for range 50 {
				if err := p.Wake(); err != nil {
					t.Fatal(err)
				}
			}
			if n := pipeLen(pp); n != 1 {
				t.Fatalf("after 50 Wakes the pipe holds %d bytes, want 1", n)
			}
			evs := make([]ep.Event, 4)
			start := time.Now()
			if n, err := p.Wait(evs, 10*time.Second); n != 0 || err != nil {
				t.Fatalf("Wait after Wakes = %d, %v; want 0, nil", n, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("Wait after Wakes returned after %v: it was not woken", d)
			}
			if n := pipeLen(pp); n != 0 {
				t.Fatalf("the Wait that saw the Wake left %d bytes in the pipe", n)
			}
			// The Wake was consumed: the next Wait times out.
			if n, err := p.Wait(evs, 20*time.Millisecond); n != 0 || err != nil {
				t.Fatalf("second Wait = %d, %v; want 0, nil", n, err)
			}
			// A Wake after that wakes again.
			p.Wake()
			if n := pipeLen(pp); n != 1 {
				t.Fatalf("after a consumed Wake, a Wake wrote %d bytes, want 1", n)
			}

			// Close ends every blocked Wait.
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			p.Wait(evs, 0) // consume the Wake
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := p.Wait(make([]ep.Event, 4), -1)
					errs <- err
				}()
			}
			time.Sleep(20 * time.Millisecond)
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if !errors.Is(err, ep.ErrClosed) {
					t.Fatalf("blocked Wait after Close: %v, want ErrClosed", err)
				}
			}
			if got := k.OpenFDs(); got != before {
				t.Fatalf("%d descriptors open after Close, want %d", got, before)
			}
		})
	}
}

// TestKqueueNetBSDOneShot: without EV_DISPATCH a OneShot registration is an
// EV_ONESHOT knote, which the kqueue deletes when it reports; the
// registration stays (Add fails with EEXIST), Modify adds the knote again
// and it reports again, and Delete succeeds.
func TestKqueueNetBSDOneShot(t *testing.T) {
	k := New(Config{})
	p, err := k.NewPoller("kqueue-netbsd")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	kq := kqueueOf(t, k)
	r, w, _ := k.Pipe()
	if err := p.Add(r, ep.Readable|ep.OneShot, 42); err != nil {
		t.Fatal(err)
	}
	key := knoteKey{uint64(r), kevent.FilterRead}
	if kn := kq.knote(key); kn == nil || kn.flags&kevent.OneShot == 0 {
		t.Fatalf("knote after Add: %+v, want an EV_ONESHOT knote", kn)
	}
	k.Write(w, []byte("x"))
	evs := make([]ep.Event, 4)
	if n, _ := p.Wait(evs, time.Second); n != 1 || evs[0].Data != 42 {
		t.Fatalf("Wait = %d %v, want the OneShot report", n, evs[:n])
	}
	if kn := kq.knote(key); kn != nil {
		t.Fatalf("knote after its report: %+v, want it deleted", kn)
	}
	k.Write(w, []byte("y"))
	if n, _ := p.Wait(evs, 20*time.Millisecond); n != 0 {
		t.Fatalf("Wait after the report = %d %v, want nothing until Modify", n, evs[:n])
	}
	if err := p.Add(r, ep.Readable, 1); !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("Add after the report = %v, want EEXIST", err)
	}
	if err := p.Modify(r, ep.Readable|ep.OneShot, 43); err != nil {
		t.Fatal(err)
	}
	if n, _ := p.Wait(evs, time.Second); n != 1 || evs[0].Data != 43 {
		t.Fatalf("Wait after Modify = %d %v, want the re-armed report", n, evs[:n])
	}
	if err := p.Delete(r); err != nil {
		t.Fatalf("Delete after the report: %v", err)
	}
}

// kqueueOf returns the only kqueue open on k.
func kqueueOf(t *testing.T, k *Kernel) *kqueue {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, f := range k.fds {
		if kq, ok := f.opsOrNil().(*kqueue); ok {
			return kq
		}
	}
	t.Fatal("no kqueue open")
	return nil
}

// knote returns the knote for key, or nil.
func (kq *kqueue) knote(key knoteKey) *knote {
	kq.mtx.Lock()
	defer kq.mtx.Unlock()
	return kq.knotes[key]
}

// opsOrNil returns f's operations, or nil for a free slot.
func (f *file) opsOrNil() fileOps {
	if f == nil {
		return nil
	}
	return f.ops
}

// kqueueVariants are the kqueue backends of the sim: full, and lacking
// what OpenBSD's and NetBSD's lack.
var kqueueVariants = []string{"kqueue", "kqueue-openbsd", "kqueue-netbsd"}

// TestKqueueChangeErrors: an error that only the kqueue finds (EVFILT_WRITE
// on a pipe whose reader is gone: EPIPE) reaches the caller of Add, with or
// without EV_RECEIPT, and leaves no registration behind.
func TestKqueueChangeErrors(t *testing.T) {
	for _, variant := range kqueueVariants {
		t.Run(variant, func(t *testing.T) {
			k, p := newVariantPoller(t, variant)
			r, w, _ := k.Pipe()
			k.Close(r)
			if err := p.Add(w, ep.Writable, 1); !errors.Is(err, syscall.EPIPE) {
				t.Fatalf("Add(write end, reader gone) = %v, want EPIPE", err)
			}
			if err := p.Delete(w); !errors.Is(err, syscall.ENOENT) {
				t.Fatalf("Delete after the failed Add = %v, want ENOENT", err)
			}
		})
	}
}

// TestKqueueOneShotSilentReport: a OneShot registration that asks only for
// the conditions always reported (Error, Hangup) has knotes that fire for
// what it did not ask (a pipe's write end is writable at once); the backend
// makes such a knote watch again (EV_ENABLE after EV_DISPATCH, an add after
// EV_ONESHOT), so the reader's close is still reported as Error.
func TestKqueueOneShotSilentReport(t *testing.T) {
	for _, variant := range kqueueVariants {
		t.Run(variant, func(t *testing.T) {
			k, p := newVariantPoller(t, variant)
			r, w, _ := k.Pipe()
			if err := p.Add(w, ep.OneShot, 5); err != nil {
				t.Fatal(err)
			}
			evs := make([]ep.Event, 4)
			if n, _ := p.Wait(evs, 30*time.Millisecond); n != 0 {
				t.Fatalf("Wait = %d %v, want nothing (writable was not asked for)", n, evs[:n])
			}
			k.Close(r)
			n, err := p.Wait(evs, 5*time.Second)
			if err != nil || n != 1 || evs[0].Data != 5 || evs[0].Events&ep.Error == 0 {
				t.Fatalf("Wait after the reader's close = %d %v %v, want Error for data 5", n, evs[:n], err)
			}
		})
	}
}

// newVariantPoller returns a kernel and a kqueue Poller of variant on it,
// closed when the test ends.
func newVariantPoller(t *testing.T, variant string) (*Kernel, ep.Poller) {
	t.Helper()
	k := New(Config{})
	p, err := k.NewPoller(variant)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return k, p
}
