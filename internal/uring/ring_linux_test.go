package uring

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newRing creates a ring or skips the test where the kernel refuses
// io_uring (the fallback tests of package eventpoll cover that path).
func newRing(t *testing.T, entries uint32, opt Options) *Ring {
	t.Helper()
	r, err := New(entries, opt)
	if err != nil {
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
			t.Skipf("io_uring unavailable: %v", err)
		}
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// enter is Enter retried after a signal (EINTR: the Go runtime preempts
// with signals). A call that fails with EINTR submitted nothing, so the
// retry submits the same entries.
func enter(r *Ring, toSubmit, minComplete uint32, timeout time.Duration, a *WaitArg) (int, error) {
	for {
		n, err := r.Enter(toSubmit, minComplete, timeout, a)
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}

func TestNopRoundTrip(t *testing.T) {
	r := newRing(t, 8, Options{})
	if r.SQEntries() != 8 || r.CQEntries() != 16 {
		t.Fatalf("SQ %d CQ %d entries, want 8 and 16", r.SQEntries(), r.CQEntries())
	}
	s := r.NextSQE()
	s.PrepNop(0xfeedface12345678)
	if n := r.Flush(); n != 1 {
		t.Fatalf("Flush = %d, want 1", n)
	}
	n, err := enter(r, 1, 1, -1, NewWaitArg())
	if err != nil || n != 1 {
		t.Fatalf("Enter = %d, %v; want 1 submitted", n, err)
	}
	var cqes [4]CQE
	if got := r.Peek(cqes[:]); got != 1 {
		t.Fatalf("Peek = %d completions, want 1", got)
	}
	if c := cqes[0]; c.UserData != 0xfeedface12345678 || c.Res != 0 || c.More() {
		t.Fatalf("completion %+v, want user data 0xfeedface12345678, res 0, no F_MORE", c)
	}
	if r.CQReady() != 0 || r.Unsubmitted() != 0 {
		t.Fatalf("after the round trip: %d ready, %d unsubmitted", r.CQReady(), r.Unsubmitted())
	}
}

// TestSubmitBatchInOrder submits a full queue with one system call and gets
// every completion back, in order.
func TestSubmitBatchInOrder(t *testing.T) {
	r := newRing(t, 8, Options{CQEntries: 64})
	for round := range 3 {
		for i := range 8 {
			s := r.NextSQE()
			if s == nil {
				t.Fatalf("round %d: NextSQE %d = nil with %d entries", round, i, r.SQEntries())
			}
			s.PrepNop(uint64(round*100 + i))
		}
		if s := r.NextSQE(); s != nil {
			t.Fatalf("NextSQE on a full queue returned an entry")
		}
		if n, err := r.Submit(r.Flush(), 0); err != nil || n != 8 {
			t.Fatalf("Submit = %d, %v; want 8", n, err)
		}
		var cqes [16]CQE
		if got := r.Peek(cqes[:]); got != 8 {
			t.Fatalf("round %d: %d completions, want 8", round, got)
		}
		for i, c := range cqes[:8] {
			if c.UserData != uint64(round*100+i) {
				t.Fatalf("round %d: completion %d has user data %d", round, i, c.UserData)
			}
		}
	}
}

// TestCQOverflow posts more completions than the completion queue holds
// without reaping: the kernel keeps the surplus (IORING_FEAT_NODROP), flags
// it, and an Enter with EnterGetEvents moves it into the queue. None is lost
// or duplicated.
func TestCQOverflow(t *testing.T) {
	r := newRing(t, 8, Options{CQEntries: 8})
	if r.Features()&FeatNoDrop == 0 {
		t.Skip("kernel without IORING_FEAT_NODROP drops overflowing completions")
	}
	const total = 32
	for i := 0; i < total; i += 8 {
		for j := range 8 {
			r.NextSQE().PrepNop(uint64(i + j))
		}
		if _, err := r.Submit(r.Flush(), 0); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	if !r.CQOverflowPending() {
		t.Fatalf("%d completions in a queue of %d, and no overflow flagged", total, r.CQEntries())
	}
	seen := make(map[uint64]int)
	var cqes [8]CQE
	for range 10 {
		n := r.Peek(cqes[:])
		for _, c := range cqes[:n] {
			seen[c.UserData]++
		}
		if len(seen) == total {
			break
		}
		if r.CQOverflowPending() {
			if _, err := r.Submit(0, EnterGetEvents); err != nil {
				t.Fatalf("Submit(GETEVENTS) to flush the overflow: %v", err)
			}
		}
	}
	for i := range uint64(total) {
		if seen[i] != 1 {
			t.Fatalf("completion %d seen %d times (all: %v)", i, seen[i], seen)
		}
	}
	if r.CQOverflowPending() || r.CQOverflowCount() != 0 {
		t.Fatalf("overflow still pending (%v) or completions lost (%d)", r.CQOverflowPending(), r.CQOverflowCount())
	}
}

func TestEnterTimeout(t *testing.T) {
	r := newRing(t, 4, Options{})
	a := NewWaitArg()
	for _, d := range []time.Duration{0, time.Millisecond, 20 * time.Millisecond} {
		start := time.Now()
		_, err := enter(r, 0, 1, d, a)
		el := time.Since(start)
		if !errors.Is(err, unix.ETIME) {
			t.Fatalf("Enter(timeout %v) on an idle ring: %v, want ETIME", d, err)
		}
		if el < d {
			t.Fatalf("Enter(timeout %v) returned after %v", d, el)
		}
	}
}

// TestPollAdd checks the two poll flavours the eventpoll backend builds on:
// a single-shot poll completes once with the ready bits; a multishot poll
// posts one completion per wake-up, flagged F_MORE, until it is removed.
func TestPollAdd(t *testing.T) {
	r := newRing(t, 8, Options{})
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	a := NewWaitArg()
	var cqes [8]CQE
	wait := func(what string) CQE {
		t.Helper()
		if _, err := enter(r, r.Flush(), 1, 5*time.Second, a); err != nil {
			t.Fatalf("%s: Enter: %v", what, err)
		}
		if n := r.Peek(cqes[:1]); n != 1 {
			t.Fatalf("%s: %d completions", what, n)
		}
		return cqes[0]
	}
	r.NextSQE().PrepPollAdd(p[0], unix.POLLIN, 0, 1)
	r.NextSQE().PrepPollAdd(p[0], unix.POLLIN, PollAddMulti, 2)
	if _, err := r.Submit(r.Flush(), 0); err != nil {
		t.Fatal(err)
	}
	if r.CQReady() != 0 {
		t.Fatalf("polls of an empty pipe completed")
	}
	for i := range 3 {
		unix.Write(p[1], []byte("x"))
		want := 2
		if i == 0 {
			want = 3 // the single-shot poll as well
		}
		got := map[uint64]CQE{}
		for len(got) < want-1 {
			c := wait("write")
			got[c.UserData] = c
		}
		time.Sleep(5 * time.Millisecond)
		for n := r.Peek(cqes[:]); n > 0; n = r.Peek(cqes[:]) {
			for _, c := range cqes[:n] {
				got[c.UserData] = c
			}
		}
		if i == 0 {
			if c, ok := got[1]; !ok || c.Res&unix.POLLIN == 0 || c.More() {
				t.Fatalf("single-shot poll: %+v (present %v), want POLLIN without F_MORE", c, ok)
			}
		} else if _, ok := got[1]; ok {
			t.Fatalf("write %d: the single-shot poll completed again", i)
		}
		if c, ok := got[2]; !ok || c.Res&unix.POLLIN == 0 || !c.More() {
			t.Fatalf("write %d: multishot poll: %+v (present %v), want POLLIN with F_MORE", i, c, ok)
		}
	}
	r.NextSQE().PrepPollRemove(2, 3)
	got := map[uint64]CQE{}
	for len(got) < 2 {
		c := wait("remove")
		got[c.UserData] = c
	}
	if c := got[2]; c.Res != -int32(unix.ECANCELED) || c.More() {
		t.Fatalf("removed multishot poll: %+v, want -ECANCELED without F_MORE", c)
	}
	if c := got[3]; c.Res != 0 {
		t.Fatalf("POLL_REMOVE: %+v, want res 0", c)
	}
}
