//go:build linux

package eventpoll

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Unit tests of the user-space interest set behind the poll and select
// backends: the emulation rules that the conformance suite cannot see from
// outside (masks, parking, rotation offsets, snapshots, wake writes), on
// poll, select, poll-pipewake and select-pipewake
// (emulate_pipewake_linux_test.go).

var emuBackends = []string{"poll", "select", pipeWakeBackend, selectPipeWakeBackend}

func newTestEmu(t *testing.T, backend string) *emu {
	t.Helper()
	p, err := New(backend)
	if err != nil {
		t.Fatalf("New(%q): %v", backend, err)
	}
	t.Cleanup(func() { p.Close() })
	return p.(*emu)
}

// testFDs tracks the fds a test opened, so that cleanup never closes a
// number that the test closed already (and something else may have reused).
var testFDs sync.Map // fd -> struct{}

func testPipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatalf("pipe: %v", err)
	}
	for _, fd := range p {
		testFDs.Store(fd, struct{}{})
		t.Cleanup(func() { closeFD(fd) })
	}
	return p[0], p[1]
}

// closeFD closes an fd from testPipe once.
func closeFD(fd int) {
	if _, ok := testFDs.LoadAndDelete(fd); ok {
		unix.Close(fd)
	}
}

func testWrite(t *testing.T, fd int, s string) {
	t.Helper()
	if n, err := unix.Write(fd, []byte(s)); err != nil || n != len(s) {
		t.Fatalf("write(%d) = %d, %v", fd, n, err)
	}
}

// drain reads fd until EAGAIN.
func drain(t *testing.T, fd int) {
	t.Helper()
	var buf [4096]byte
	for {
		n, err := unix.Read(fd, buf[:])
		if err == syscall.EAGAIN {
			return
		}
		if err != nil || n == 0 {
			t.Fatalf("read(%d) = %d, %v", fd, n, err)
		}
	}
}

func waitN(t *testing.T, p Poller, room int, timeout time.Duration) []Event {
	t.Helper()
	ev := make([]Event, room)
	n, err := p.Wait(ev, timeout)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return ev[:n]
}

func wantEvents(t *testing.T, got []Event, want ...Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
}

func (e *emu) item(t *testing.T, fd int) emuItem {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.lookup(fd)
	if i < 0 {
		t.Fatalf("fd %d not registered", fd)
	}
	return e.items[i]
}

func (e *emu) registered(fd int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lookup(fd) >= 0
}

// TestEmuEdgeMaskAndProbe: an edge-triggered report masks the condition; an
// undrained fd stays masked; once drained, the next Wait's probe re-arms it
// and new data is reported (rule 3).
func TestEmuEdgeMaskAndProbe(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r, w := testPipe(t)
			if err := e.Add(r, Readable|EdgeTriggered, 7); err != nil {
				t.Fatal(err)
			}
			testWrite(t, w, "abcd")
			wantEvents(t, waitN(t, e, 4, time.Second), Event{Readable, 7})
			if it := e.item(t, r); it.masked != Readable || !it.probing {
				t.Fatalf("after report: masked %v probing %v, want readable, true", it.masked, it.probing)
			}
			// Not drained: the probe sees it still readable, it stays masked.
			wantEvents(t, waitN(t, e, 4, 0))
			if it := e.item(t, r); it.masked != Readable {
				t.Fatalf("undrained: masked %v, want readable", it.masked)
			}
			// New data on an undrained fd: no event (stricter than kernel ET).
			testWrite(t, w, "e")
			wantEvents(t, waitN(t, e, 4, 0))
			// The probe looks only once after a report: drained now, the fd
			// stays masked until a rule re-arms it. Modify does (rule 1).
			drain(t, r)
			wantEvents(t, waitN(t, e, 4, 0))
			if it := e.item(t, r); it.masked != Readable {
				t.Fatalf("drained after the probe: masked %v, want readable", it.masked)
			}
			if err := e.Modify(r, Readable|EdgeTriggered, 8); err != nil {
				t.Fatal(err)
			}
			testWrite(t, w, "f")
			wantEvents(t, waitN(t, e, 4, time.Second), Event{Readable, 8})
			// Drained before the next Wait: its probe re-arms (rule 3).
			drain(t, r)
			wantEvents(t, waitN(t, e, 4, 0))
			if it := e.item(t, r); it.masked != 0 {
				t.Fatalf("drained before the probe: masked %v, want none", it.masked)
			}
			testWrite(t, w, "g")
			wantEvents(t, waitN(t, e, 4, time.Second), Event{Readable, 8})
		})
	}
}

// TestEmuEdgeRearmOnEAGAIN: noteWouldBlock (rule 2) re-arms a masked
// condition, so data that arrives between the drain and the next Wait is a
// new edge; without it that edge is not seen.
func TestEmuEdgeRearmOnEAGAIN(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r, w := testPipe(t)
			if err := e.Add(r, Readable|Writable|EdgeTriggered, 1); err != nil {
				t.Fatal(err)
			}
			if err := e.Add(w, Writable|EdgeTriggered, 2); err != nil {
				t.Fatal(err)
			}
			wantEvents(t, waitN(t, e, 4, time.Second), Event{Writable, 2})
			testWrite(t, w, "x")
			wantEvents(t, waitN(t, e, 4, time.Second), Event{Readable, 1})
			drain(t, r)
			testWrite(t, w, "y") // arrives before any Wait saw the drain
			wantEvents(t, waitN(t, e, 4, 0))
			drain(t, r)
			noteWouldBlock(r, Readable)
			if it := e.item(t, r); it.masked != 0 {
				t.Fatalf("after noteWouldBlock: masked %v", it.masked)
			}
			testWrite(t, w, "z")
			wantEvents(t, waitN(t, e, 4, time.Second), Event{Readable, 1})
			// A write-side EAGAIN re-arms Writable only.
			if it := e.item(t, w); it.masked != Writable {
				t.Fatalf("writer: masked %v, want writable", it.masked)
			}
			noteWouldBlock(w, Readable)
			if it := e.item(t, w); it.masked != Writable {
				t.Fatalf("writer after a read-side EAGAIN: masked %v, want writable", it.masked)
			}
			noteWouldBlock(w, Writable)
			wantEvents(t, waitN(t, e, 4, time.Second), Event{Writable, 2})
		})
	}
}

// TestEmuNoteWouldBlockWakesWait: a re-arm by noteWouldBlock interrupts a
// blocked Wait so that the re-armed condition is reported at once.
func TestEmuNoteWouldBlockWakesWait(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r, w := testPipe(t)
			if err := e.Add(r, Readable|EdgeTriggered, 1); err != nil {
				t.Fatal(err)
			}
			testWrite(t, w, "x")
			wantEvents(t, waitN(t, e, 4, time.Second), Event{Readable, 1})
			wantEvents(t, waitN(t, e, 4, 0)) // the probe: still readable, masked
			done := make(chan []Event)
			go func() {
				ev := make([]Event, 4)
				n, _ := e.Wait(ev, 5*time.Second)
				done <- ev[:n]
			}()
			waitBlocked(t, e, 1)
			noteWouldBlock(r, Readable) // as if a read failed with EAGAIN; data still there
			select {
			case got := <-done:
				wantEvents(t, got, Event{Readable, 1})
			case <-time.After(4 * time.Second):
				t.Fatal("Wait not woken by the re-arm")
			}
		})
	}
}

// waitBlocked waits until n Waits are inside the system call.
func waitBlocked(t *testing.T, e *emu, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.mu.Lock()
		k := e.waiters
		e.mu.Unlock()
		if k >= n {
			time.Sleep(5 * time.Millisecond) // let it enter the kernel
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d Waits blocked, want %d", k, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestEmuOneShotSilent: a fired one-shot registration reports nothing, not
// even a hangup, and is asked nothing of the kernel (poll: a negative fd;
// select: in no set), but stays registered until Modify re-arms it.
func TestEmuOneShotSilent(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r, w := testPipe(t)
			if err := e.Add(r, Readable|OneShot, 3); err != nil {
				t.Fatal(err)
			}
			testWrite(t, w, "x")
			wantEvents(t, waitN(t, e, 4, time.Second), Event{Readable, 3})
			closeFD(w)
			wantEvents(t, waitN(t, e, 4, 20*time.Millisecond))
			e.mu.Lock()
			i := e.lookup(r)
			switch be := e.be.(type) {
			case *pollBackend:
				if pf := be.fds[i+1]; pf.Fd >= 0 || pf.Events != 0 {
					t.Errorf("disabled slot %+v, want a negative fd", pf)
				}
			case *selectBackend:
				if be.r.IsSet(r) || be.w.IsSet(r) || be.x.IsSet(r) {
					t.Errorf("disabled fd %d still in a set", r)
				}
			}
			e.mu.Unlock()
			if err := e.Add(r, Readable, 4); !errors.Is(err, syscall.EEXIST) {
				t.Fatalf("Add of a disabled registration: %v, want EEXIST", err)
			}
			if err := e.Modify(r, Readable|OneShot, 5); err != nil {
				t.Fatal(err)
			}
			got := waitN(t, e, 4, time.Second)
			if len(got) != 1 || got[0].Data != 5 || got[0].Events&Readable == 0 {
				t.Fatalf("after re-arm: %v, want readable (and hangup on poll) for 5", got)
			}
			wantEvents(t, waitN(t, e, 4, 0))
			if err := e.Delete(r); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEmuRotation: with more ready fds than room, successive Waits start
// where the previous one stopped: 3 ready, room 1 -> a, b, c, a.
func TestEmuRotation(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			for d := uint64(1); d <= 3; d++ {
				r, w := testPipe(t)
				testWrite(t, w, "x")
				if err := e.Add(r, Readable, d*10); err != nil {
					t.Fatal(err)
				}
			}
			var seq []uint64
			for range 7 {
				got := waitN(t, e, 1, 0)
				if len(got) != 1 {
					t.Fatalf("Wait: %v, want one event", got)
				}
				seq = append(seq, got[0].Data)
			}
			want := []uint64{10, 20, 30, 10, 20, 30, 10}
			for i := range want {
				if seq[i] != want[i] {
					t.Fatalf("sequence %v, want %v", seq, want)
				}
			}
			// Room for two: 20,30 then 10,20.
			wantEvents(t, waitN(t, e, 2, 0), Event{Readable, 20}, Event{Readable, 30})
			wantEvents(t, waitN(t, e, 2, 0), Event{Readable, 10}, Event{Readable, 20})
		})
	}
}

// TestEmuClosedWhileRegistered: a registered fd closed without Delete is
// reported once as Error and removed (poll: POLLNVAL; select: EBADF found
// with fcntl), so a level-triggered loop does not spin.
func TestEmuClosedWhileRegistered(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r1, _ := testPipe(t)
			r2, w2 := testPipe(t)
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(p[1])
			if err := e.Add(r1, Readable, 1); err != nil {
				t.Fatal(err)
			}
			if err := e.Add(p[0], Readable, 2); err != nil {
				t.Fatal(err)
			}
			if err := e.Add(r2, Readable, 3); err != nil {
				t.Fatal(err)
			}
			testWrite(t, w2, "x")
			unix.Close(p[0]) // the program forgot Delete
			got := waitN(t, e, 4, time.Second)
			var sawErr bool
			for _, ev := range got {
				if ev.Data == 2 {
					sawErr = ev.Events == Error
				}
			}
			if !sawErr {
				// select reports the closed fd alone (the call failed).
				got = append(got, waitN(t, e, 4, time.Second)...)
				for _, ev := range got {
					sawErr = sawErr || ev == (Event{Error, 2})
				}
			}
			if !sawErr {
				t.Fatalf("events %v, want error for the closed fd", got)
			}
			if e.registered(p[0]) {
				t.Fatal("closed fd still registered")
			}
			wantEvents(t, waitN(t, e, 4, 0), Event{Readable, 3})
			if err := e.Delete(p[0]); !errors.Is(err, syscall.EBADF) {
				t.Fatalf("Delete of the closed fd: %v, want EBADF", err)
			}
		})
	}
}

// TestEmuDeleteClosedFD: Delete of a registered fd that was closed fails
// with EBADF (as with epoll) and removes the registration.
func TestEmuDeleteClosedFD(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(p[1])
			if err := e.Add(p[0], Readable, 1); err != nil {
				t.Fatal(err)
			}
			unix.Close(p[0])
			if err := e.Delete(p[0]); !errors.Is(err, syscall.EBADF) {
				t.Fatalf("Delete: %v, want EBADF", err)
			}
			if e.registered(p[0]) {
				t.Fatal("still registered")
			}
		})
	}
}

// selectBackends are the select backend with Linux's calls and with those
// of darwin and the BSDs (emulate_pipewake_linux_test.go).
var selectBackends = []string{"select", selectPipeWakeBackend}

// TestSelectRefusesLargeFD: fds >= FDSetSize are refused before any fd_set
// is touched (FdSet.Set would panic).
func TestSelectRefusesLargeFD(t *testing.T) {
	for _, b := range selectBackends {
		t.Run(b, func(t *testing.T) { selectRefusesLargeFD(t, b) })
	}
}

func selectRefusesLargeFD(t *testing.T, b string) {
	e := newTestEmu(t, b)
	r, _ := testPipe(t)
	big, err := unix.FcntlInt(uintptr(r), unix.F_DUPFD_CLOEXEC, FDSetSize)
	if err != nil {
		t.Skipf("cannot dup to fd %d: %v", FDSetSize, err)
	}
	defer unix.Close(big)
	err = e.Add(big, Readable, 1)
	if !errors.Is(err, ErrFDTooLarge) || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Add(%d): %v, want ErrFDTooLarge", big, err)
	}
	var op *OpError
	if !errors.As(err, &op) || op.Backend != b || op.Op != "add" || op.FD != big {
		t.Fatalf("Add(%d): %#v, want an OpError", big, err)
	}
	if err := e.Modify(big, Readable, 1); !errors.Is(err, ErrFDTooLarge) {
		t.Fatalf("Modify(%d): %v, want ErrFDTooLarge", big, err)
	}
	if err := e.Delete(big); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("Delete(%d): %v, want ENOENT", big, err)
	}
	if len(e.items) != 0 {
		t.Fatal("refused fd registered")
	}
	// poll takes it.
	p := newTestEmu(t, "poll")
	if err := p.Add(big, Readable, 1); err != nil {
		t.Fatalf("poll Add(%d): %v", big, err)
	}
}

// TestEmuAddChecks: epoll's fd checks on both backends.
func TestEmuAddChecks(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "reg")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r, _ := testPipe(t)
			for _, c := range []struct {
				name string
				err  error
				want error
			}{
				{"regular file", e.Add(int(f.Fd()), Readable, 1), syscall.EPERM},
				{"directory", e.Add(int(dir.Fd()), Readable, 1), syscall.EPERM},
				{"negative", e.Add(-1, Readable, 1), syscall.EBADF},
				{"exclusive", e.Add(r, Readable|Exclusive, 1), ErrUnsupported},
				{"reserved data", e.Add(r, Readable, ReservedData), ErrReservedData},
				{"modify unregistered", e.Modify(r, Readable, 1), syscall.ENOENT},
				{"delete unregistered", e.Delete(r), syscall.ENOENT},
			} {
				if !errors.Is(c.err, c.want) {
					t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
				}
			}
			if len(e.items) != 0 {
				t.Fatal("a refused fd was registered")
			}
		})
	}
}

// TestEmuStaleResultsFiltered drives one Wait by hand: results gathered
// before a Delete (or a Delete and Add of the same fd number) are not
// reported for the old registration.
func TestEmuStaleResultsFiltered(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r, w := testPipe(t)
			r2, w2 := testPipe(t)
			testWrite(t, w, "x")
			testWrite(t, w2, "x")
			if err := e.Add(r, Readable, 1); err != nil {
				t.Fatal(err)
			}
			if err := e.Add(r2, Readable, 2); err != nil {
				t.Fatal(err)
			}
			w8 := e.be.newWaiter(e)
			e.mu.Lock()
			w8.sync(e)
			snapGen := e.gen
			e.mu.Unlock()
			n, err := w8.wait(0)
			if err != nil || n < 2 {
				t.Fatalf("wait = %d, %v", n, err)
			}
			// Both ready in the kernel's answer; now r is deleted and r2 is
			// deleted and added again with new data.
			if err := e.Delete(r); err != nil {
				t.Fatal(err)
			}
			if err := e.Delete(r2); err != nil {
				t.Fatal(err)
			}
			if err := e.Add(r2, Readable, 22); err != nil {
				t.Fatal(err)
			}
			out := make([]Event, 4)
			e.mu.Lock()
			k, err := w8.harvest(e, n, nil, out, snapGen)
			e.mu.Unlock()
			if err != nil || k != 0 {
				t.Fatalf("harvest = %v, %v: want no stale events", out[:k], err)
			}
			wantEvents(t, waitN(t, e, 4, 0), Event{Readable, 22})
		})
	}
}

// TestEmuConcurrentChanges: Add, Modify and Delete from other goroutines
// while Waits run (under -race). A registration's data is retired when its
// Delete has returned; a Wait must never return data retired before that
// Wait began.
func TestEmuConcurrentChanges(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			const pipes = 8
			var rs [pipes]int
			for i := range rs {
				r, w := testPipe(t)
				testWrite(t, w, "x") // always readable
				rs[i] = r
			}
			var retired [pipes * 1000]atomic.Bool
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var bad atomic.Value
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ev := make([]Event, 4)
					var before [pipes * 1000]bool
					for {
						select {
						case <-stop:
							return
						default:
						}
						for i := range before {
							before[i] = retired[i].Load()
						}
						n, err := e.Wait(ev, 10*time.Millisecond)
						if err != nil {
							bad.Store(err.Error())
							return
						}
						for _, x := range ev[:n] {
							if before[x.Data] {
								bad.Store("reported data retired before the Wait")
							}
						}
					}
				}()
			}
			for round := range 300 {
				i := round % pipes
				data := uint64(round)
				if err := e.Add(rs[i], Readable, data); err != nil {
					t.Fatal(err)
				}
				if round%3 == 0 {
					if err := e.Modify(rs[i], Readable|EdgeTriggered, data); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(50 * time.Microsecond)
				if err := e.Delete(rs[i]); err != nil {
					t.Fatal(err)
				}
				retired[data].Store(true)
			}
			close(stop)
			wg.Wait()
			if v := bad.Load(); v != nil {
				t.Fatal(v)
			}
		})
	}
}

// TestEmuAddWakesWait: an Add of a ready fd from another goroutine wakes a
// blocked Wait, which reports it.
func TestEmuAddWakesWait(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r, w := testPipe(t)
			testWrite(t, w, "x")
			done := make(chan []Event)
			go func() {
				ev := make([]Event, 4)
				n, _ := e.Wait(ev, -1)
				done <- ev[:n]
			}()
			waitBlocked(t, e, 1)
			if err := e.Add(r, Readable, 9); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-done:
				wantEvents(t, got, Event{Readable, 9})
			case <-time.After(5 * time.Second):
				t.Fatal("Wait not woken by Add")
			}
		})
	}
}

// TestEmuWakeCollapse: Wakes before a Wait cost no eventfd write and make
// one Wait return; many Wakes during a blocked Wait cost one write; the next
// Wait blocks again.
func TestEmuWakeCollapse(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			for range 100 {
				if err := e.Wake(); err != nil {
					t.Fatal(err)
				}
			}
			if e.nWrites != 0 {
				t.Fatalf("%d eventfd writes for Wakes with no Wait blocked, want 0", e.nWrites)
			}
			start := time.Now()
			wantEvents(t, waitN(t, e, 4, 5*time.Second))
			if d := time.Since(start); d > time.Second {
				t.Fatalf("woken Wait took %v", d)
			}
			start = time.Now()
			wantEvents(t, waitN(t, e, 4, 30*time.Millisecond))
			if d := time.Since(start); d < 30*time.Millisecond {
				t.Fatalf("Wait after a consumed wake returned after %v, want >= 30ms", d)
			}

			done := make(chan time.Duration)
			go func() {
				start := time.Now()
				ev := make([]Event, 4)
				e.Wait(ev, -1)
				done <- time.Since(start)
			}()
			waitBlocked(t, e, 1)
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 50 {
						e.Wake()
					}
				}()
			}
			wg.Wait()
			<-done
			e.mu.Lock()
			writes := e.nWrites
			e.mu.Unlock()
			// One write wakes the Wait; Wakes after it returned and consumed
			// the flag may cost one more, which the next Wait consumes.
			if writes < 1 || writes > 2 {
				t.Fatalf("%d eventfd writes for 200 Wakes, want 1 (or 2)", writes)
			}
			start = time.Now()
			waitN(t, e, 4, 0) // consumes a Wake that came after the return, if any
			wantEvents(t, waitN(t, e, 4, 30*time.Millisecond))
			if d := time.Since(start); d < 30*time.Millisecond {
				t.Fatalf("Wait did not block again (%v)", d)
			}
		})
	}
}

// TestEmuCloseWhileWaiting: a blocked Wait returns ErrClosed and the last
// Wait to leave closes the eventfd.
func TestEmuCloseWhileWaiting(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			p, err := New(b)
			if err != nil {
				t.Fatal(err)
			}
			e := p.(*emu)
			done := make(chan error)
			go func() {
				_, err := e.Wait(make([]Event, 1), -1)
				done <- err
			}()
			waitBlocked(t, e, 1)
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, ErrClosed) {
				t.Fatalf("Wait: %v, want ErrClosed", err)
			}
			e.mu.Lock()
			closed := e.wakeClosed
			e.mu.Unlock()
			if !closed {
				t.Fatal("eventfd left open")
			}
			for name, err := range map[string]error{
				"Close": e.Close(), "Wake": e.Wake(), "Add": e.Add(0, Readable, 1),
				"Modify": e.Modify(0, Readable, 1), "Delete": e.Delete(0),
			} {
				if !errors.Is(err, ErrClosed) {
					t.Errorf("%s after Close: %v, want ErrClosed", name, err)
				}
			}
		})
	}
}

// TestEmuIncrementalSnapshot: in steady state a poll Wait copies nothing
// into its pollfd array; a Modify replays one slot; a Delete moves the last
// slot into the hole.
func TestEmuIncrementalSnapshot(t *testing.T) {
	e := newTestEmu(t, "poll")
	be := e.be.(*pollBackend)
	var rs []int
	for i := range 5 {
		r, _ := testPipe(t)
		rs = append(rs, r)
		if err := e.Add(r, Readable, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitN(t, e, 4, 0)
	if len(be.snaps) != 1 {
		t.Fatalf("%d snapshots, want 1", len(be.snaps))
	}
	s := be.snaps[0]
	if s.full || len(s.dirty) != 0 {
		t.Fatalf("after a Wait: full %v dirty %v", s.full, s.dirty)
	}
	if err := e.Modify(rs[2], Writable, 2); err != nil {
		t.Fatal(err)
	}
	if s.full || len(s.dirty) != 1 || s.dirty[0] != 3 {
		t.Fatalf("after Modify: full %v dirty %v, want slot 3", s.full, s.dirty)
	}
	if err := e.Delete(rs[1]); err != nil {
		t.Fatal(err)
	}
	if be.fds[2].Fd != int32(rs[4]) || len(be.fds) != 5 {
		t.Fatalf("after Delete: %v, want the last fd moved into slot 2", be.fds)
	}
	waitN(t, e, 4, 0)
	for i := range be.fds {
		if s.fds[i].Fd != be.fds[i].Fd || s.fds[i].Events != be.fds[i].Events {
			t.Fatalf("snapshot %v differs from %v", s.fds, be.fds)
		}
	}
}

// TestEmuZeroAllocs: Wait, Add, Modify and Delete allocate nothing in
// steady state.
func TestEmuZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r, w := testPipe(t)
			r2, _ := testPipe(t)
			testWrite(t, w, "x")
			if err := e.Add(r, Readable, 1); err != nil {
				t.Fatal(err)
			}
			ev := make([]Event, 4)
			step := func() {
				if n, err := e.Wait(ev, 0); n != 1 || err != nil {
					t.Fatalf("Wait = %d, %v", n, err)
				}
				if err := e.Add(r2, Readable, 2); err != nil {
					t.Fatal(err)
				}
				if err := e.Modify(r2, Readable|EdgeTriggered, 3); err != nil {
					t.Fatal(err)
				}
				if err := e.Delete(r2); err != nil {
					t.Fatal(err)
				}
			}
			step()
			if a := testing.AllocsPerRun(200, step); a != 0 {
				t.Fatalf("%v allocs per Wait+Add+Modify+Delete, want 0", a)
			}
		})
	}
}

// TestSelectParkedRecheck: select cannot wait for a hangup alone while
// unread data is queued; the registration is parked and rechecked, so the
// hangup is still reported, without a busy loop before it.
func TestSelectParkedRecheck(t *testing.T) {
	for _, b := range selectBackends {
		t.Run(b, func(t *testing.T) { selectParkedRecheck(t, b) })
	}
}

func selectParkedRecheck(t *testing.T, b string) {
	e := newTestEmu(t, b)
	r, w := testPipe(t)
	if err := e.Add(r, 0, 1); err != nil {
		t.Fatal(err)
	}
	testWrite(t, w, "x")
	wantEvents(t, waitN(t, e, 4, 50*time.Millisecond))
	if it := e.item(t, r); it.parked == 0 {
		t.Fatal("registration with only unwanted data pending not parked")
	}
	closeFD(w)
	start := time.Now()
	wantEvents(t, waitN(t, e, 4, 2*time.Second), Event{Hangup, 1})
	if d := time.Since(start); d > time.Second {
		t.Fatalf("hangup reported after %v", d)
	}
}

// TestPollParksMaskedHangup: after an edge-triggered Hangup the kernel keeps
// reporting POLLHUP, which is masked; the registration is parked (a negative
// fd in the array), so Waits block instead of spinning, until Modify.
func TestPollParksMaskedHangup(t *testing.T) {
	e := newTestEmu(t, "poll")
	r, w := testPipe(t)
	if err := e.Add(r, Readable|EdgeTriggered, 1); err != nil {
		t.Fatal(err)
	}
	closeFD(w)
	wantEvents(t, waitN(t, e, 4, time.Second), Event{Hangup, 1})
	start := time.Now()
	wantEvents(t, waitN(t, e, 4, 30*time.Millisecond))
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("Wait returned after %v", d)
	}
	it := e.item(t, r)
	e.mu.Lock()
	slot := e.be.(*pollBackend).fds[e.lookup(r)+1]
	e.mu.Unlock()
	if it.parked == 0 || slot.Fd >= 0 {
		t.Fatalf("parked %v, slot %+v: want a parked registration with a negative fd", it.parked, slot)
	}
	if err := e.Modify(r, Readable|EdgeTriggered, 2); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, waitN(t, e, 4, time.Second), Event{Hangup, 2})
}

// TestEmuTwoWaiters: two Waits blocked on one poller; a level-triggered
// event wakes both, an edge-triggered one is delivered once.
func TestEmuTwoWaiters(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			for _, mode := range []Events{0, EdgeTriggered} {
				e := newTestEmu(t, b)
				r, w := testPipe(t)
				if err := e.Add(r, Readable|mode, 1); err != nil {
					t.Fatal(err)
				}
				results := make(chan int, 2)
				for range 2 {
					go func() {
						ev := make([]Event, 4)
						n, _ := e.Wait(ev, 300*time.Millisecond)
						results <- n
					}()
				}
				waitBlocked(t, e, 2)
				testWrite(t, w, "x")
				total := <-results + <-results
				want := 2
				if mode == EdgeTriggered {
					want = 1
				}
				if total != want {
					t.Fatalf("mode %v: %d events over two waiters, want %d", mode, total, want)
				}
			}
		})
	}
}
