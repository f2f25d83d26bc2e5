//go:build linux

package eventpoll

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newTestUring creates an io_uring poller or skips where the system has none.
func newTestUring(t *testing.T) *uringPoller {
	t.Helper()
	p, err := newIOUring()
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("io_uring unavailable: %v", err)
	}
	if err != nil {
		t.Fatalf("newIOUring: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p.(*uringPoller)
}

func uringTestPipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

// TestUringStaleCompletionAfterReuse: a completion posted for an fd that
// is then deleted, closed, and whose number is reused and registered again
// before any Wait reaps it, never reaches the new registration.
func TestUringStaleCompletionAfterReuse(t *testing.T) {
	p := newTestUring(t)
	var a [2]int
	if err := unix.Pipe2(a[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(a[1])
	unix.Write(a[1], []byte("x"))
	if err := p.Add(a[0], Readable, 1); err != nil {
		t.Fatal(err)
	}
	// Submit without reaping: the completion for data 1 sits in the queue.
	p.mu.Lock()
	p.submit()
	p.mu.Unlock()
	deadline := time.Now().Add(time.Second)
	for p.ring.CQReady() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if p.ring.CQReady() == 0 {
		t.Fatal("no completion posted for a readable pipe")
	}
	if err := p.Delete(a[0]); err != nil {
		t.Fatal(err)
	}
	old := a[0]
	unix.Close(old)
	r, _ := uringTestPipe(t) // the lowest free number: old's
	if r != old {
		t.Skipf("fd %d not reused (got %d)", old, r)
	}
	if err := p.Add(r, Readable, 2); err != nil {
		t.Fatal(err)
	}
	evs := make([]Event, 4)
	n, err := p.Wait(evs, 50*time.Millisecond)
	if err != nil || n != 0 {
		t.Fatalf("Wait = %v, %v; want no event (the completion was for the old registration)", evs[:n], err)
	}
}

// TestUringParkedReadHangup: a registration that asks for nothing but
// Error and Hangup sees RDHUP (peer shutdown) from the kernel, which it may
// not report; the poller must neither report it nor spin on it, and must
// still report the hangup that follows.
func TestUringParkedReadHangup(t *testing.T) {
	p := newTestUring(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := fds[0], fds[1]
	defer unix.Close(a)
	if err := p.Add(a, 0, 7); err != nil {
		t.Fatal(err)
	}
	unix.Shutdown(b, unix.SHUT_WR)
	evs := make([]Event, 4)
	var reaped [2]int
	for i := range reaped {
		start := time.Now()
		n, err := p.Wait(evs, 50*time.Millisecond)
		if err != nil || n != 0 {
			t.Fatalf("Wait after peer SHUT_WR = %v, %v; want no event", evs[:n], err)
		}
		if el := time.Since(start); el < 50*time.Millisecond {
			t.Fatalf("Wait(50ms) returned after %v", el)
		}
		p.mu.Lock()
		reaped[i] = int(p.serial)
		arm := p.regs[a].arm
		p.mu.Unlock()
		if arm != armParked {
			t.Fatalf("registration arm %d after an RDHUP-only completion, want parked (%d)", arm, armParked)
		}
	}
	if reaped[1] != reaped[0] {
		t.Fatalf("%d polls submitted during a quiet 50 ms Wait: the poller spins", reaped[1]-reaped[0])
	}
	unix.Close(b)
	for range 2 { // level-triggered: reported, and again
		n, err := p.Wait(evs, 5*time.Second)
		if err != nil || n != 1 || evs[0] != (Event{Events: Hangup, Data: 7}) {
			t.Fatalf("Wait after peer close = %v, %v; want {hangup 7}", evs[:n], err)
		}
	}
}

// TestUringCQOverflow registers more ready fds than the completion queue
// holds: level-triggered single-shot and edge-triggered multishot polls
// whose completions overflow into the kernel's list. Every fd is reported
// exactly once by the first Waits, and the edge-triggered ones stay armed
// (new data is reported again).
func TestUringCQOverflow(t *testing.T) {
	p := newTestUring(t)
	// Replace the ring with a tiny one.
	r, err := openUringSized(8, 8)
	if err != nil {
		t.Fatal(err)
	}
	p.ring.Close()
	p.ring = r
	const n = 64
	ws := make([]int, n)
	for i := range n {
		var rd int
		rd, ws[i] = uringTestPipe(t)
		unix.Write(ws[i], []byte("x"))
		mode := Events(0)
		if i%2 == 1 {
			mode = EdgeTriggered
		}
		if err := p.Add(rd, Readable|mode, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[uint64]int)
	evs := make([]Event, 2*n)
	for len(seen) < n {
		k, err := p.Wait(evs, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			t.Fatalf("only %d of %d ready fds reported: %v", len(seen), n, seen)
		}
		for _, e := range evs[:k] {
			if e.Events != Readable {
				t.Fatalf("event %v", e)
			}
			seen[e.Data]++
			if e.Data%2 == 1 && seen[e.Data] > 1 {
				t.Fatalf("edge-triggered fd %d reported %d times without new data", e.Data, seen[e.Data])
			}
		}
	}
	// New data on every edge-triggered fd: each reported again.
	for i := 1; i < n; i += 2 {
		unix.Write(ws[i], []byte("y"))
	}
	again := make(map[uint64]bool)
	deadline := time.Now().Add(5 * time.Second)
	for len(again) < n/2 && time.Now().Before(deadline) {
		k, err := p.Wait(evs, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs[:k] {
			if e.Data%2 == 1 {
				again[e.Data] = true
			}
		}
	}
	if len(again) < n/2 {
		t.Fatalf("after new data only %d of %d edge-triggered fds reported", len(again), n/2)
	}
}

// TestUringRearmBatched: a level-triggered fd that stays ready is renewed
// with the Wait's own io_uring_enter, and Add, Modify and Delete make no
// system call while no Wait is blocked (they are queued).
func TestUringRearmBatched(t *testing.T) {
	p := newTestUring(t)
	r, _ := uringTestPipe(t)
	r2, w2 := uringTestPipe(t)
	unix.Write(w2, []byte("x"))
	if err := p.Add(r, Readable, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Modify(r, Readable|Writable, 2); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(r2, Readable, 3); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(r); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	queued := p.ring.Unsubmitted()
	p.mu.Unlock()
	if queued != 5 { // add, remove+add, add, remove
		t.Fatalf("%d entries queued after Add, Modify, Add, Delete; want 5 (nothing submitted)", queued)
	}
	evs := make([]Event, 4)
	for range 3 {
		n, err := p.Wait(evs, time.Second)
		if err != nil || n != 1 || evs[0] != (Event{Events: Readable, Data: 3}) {
			t.Fatalf("Wait = %v, %v; want {readable 3}", evs[:n], err)
		}
	}
}

// TestUringDeleteReleasesFile: after Delete (and the next Wait, which
// submits the removal), closing the fd really closes the file, even when
// the removal races with a wake-up of a multishot poll (the kernel answers
// such a removal with EALREADY and the backend removes again). The peer
// sees the close: its writes fail with EPIPE.
func TestUringDeleteReleasesFile(t *testing.T) {
	p := newTestUring(t)
	evs := make([]Event, 8)
	for i := range 300 {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		a, b := fds[0], fds[1]
		if err := p.Add(a, Readable|ReadHangup|EdgeTriggered, uint64(i)); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			// Wake the multishot poll as often as possible.
			buf := []byte("x")
			for {
				_, err := unix.Write(b, buf)
				if err == unix.EPIPE || err == unix.ECONNRESET {
					done <- nil
					return
				}
				select {
				case <-stop:
					done <- err
					return
				default:
				}
			}
		}()
		p.Wait(evs, time.Second)
		if err := p.Delete(a); err != nil {
			t.Fatal(err)
		}
		p.Wait(evs, 0) // submits the removal
		unix.Close(a)
		deadline := time.Now().Add(2 * time.Second)
		var err2 error
		select {
		case err2 = <-done:
		case <-time.After(time.Until(deadline)):
			// Later Waits retry a removal that found the poll busy.
			for time.Now().Before(deadline.Add(2 * time.Second)) {
				p.Wait(evs, 10*time.Millisecond)
				select {
				case err2 = <-done:
					goto out
				default:
				}
			}
			close(stop)
			err2 = <-done
			unix.Close(b)
			t.Fatalf("round %d: the peer's writes never failed after Delete and close (last error %v): the file stayed open", i, err2)
		}
	out:
		unix.Close(b)
		if err2 != nil {
			t.Fatalf("round %d: writer: %v", i, err2)
		}
	}
}
