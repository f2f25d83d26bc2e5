//go:build linux

package eventpoll_test

import (
	"errors"
	"strconv"
	"syscall"
	"testing"

	"github.com/eventpoll/eventpoll"
	"golang.org/x/sys/unix"
)

// benchFixture holds pipes for a benchmark and closes them at the end.
type benchFixture struct {
	b   *testing.B
	fds []int
}

// pipe returns a non-blocking pipe, or skips the benchmark when the process
// runs out of descriptors.
func (f *benchFixture) pipe() (r, w int) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			f.b.Skipf("out of file descriptors after %d: %v", len(f.fds), err)
		}
		f.b.Fatalf("pipe: %v", err)
	}
	f.fds = append(f.fds, p[0], p[1])
	return p[0], p[1]
}

// eventfd returns an idle (never signalled) eventfd: one descriptor per
// idle fd, so that 10000 of them fit in the descriptor limit.
func (f *benchFixture) eventfd() int {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			f.b.Skipf("out of file descriptors after %d: %v", len(f.fds), err)
		}
		f.b.Fatalf("eventfd: %v", err)
	}
	f.fds = append(f.fds, fd)
	return fd
}

func (f *benchFixture) close() {
	for _, fd := range f.fds {
		unix.Close(fd)
	}
}

func newBenchPoller(b *testing.B, backend string) eventpoll.Poller {
	p, err := eventpoll.New(backend)
	if err != nil {
		b.Fatalf("New(%q): %v", backend, err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkWait measures one Wait with a zero timeout over N idle eventfds and
// one level-triggered pipe that is readable on every iteration (it is never
// drained), for every registered backend. select watches at most
// FDSetSize fds, so it runs for N = 100 and 1000 only.
func BenchmarkWait(b *testing.B) {
	for _, backend := range eventpoll.Backends() {
		b.Run(backend, func(b *testing.B) {
			for _, idle := range []int{100, 1000, 10000} {
				if backend == "select" && idle >= eventpoll.FDSetSize {
					continue
				}
				b.Run("idle="+strconv.Itoa(idle), func(b *testing.B) {
					benchWait(b, backend, idle)
				})
			}
		})
	}
}

func benchWait(b *testing.B, backend string, idle int) {
	f := &benchFixture{b: b}
	defer f.close()
	p := newBenchPoller(b, backend)
	// The active pipe first, so that select's fds stay below FDSetSize.
	ar, aw := f.pipe()
	if _, err := unix.Write(aw, []byte("x")); err != nil {
		b.Fatal(err)
	}
	if err := p.Add(ar, eventpoll.Readable, 0); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < idle; i++ {
		r := f.eventfd()
		if err := p.Add(r, eventpoll.Readable, uint64(i+1)); err != nil {
			if errors.Is(err, eventpoll.ErrFDTooLarge) {
				b.Skipf("fd %d too large for %s after %d idle fds", r, backend, i)
			}
			b.Fatalf("Add(%d): %v", r, err)
		}
	}
	events := make([]eventpoll.Event, 16)
	// A first Wait grows the backend's per-Wait state to its steady size.
	if _, err := p.Wait(events, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := p.Wait(events, 0)
		if err != nil || n != 1 || events[0].Data != 0 {
			b.Fatalf("Wait = %d, %v (%v), want the active fd", n, err, events[:n])
		}
	}
}

// benchBatch is how many fds BenchmarkAdd and BenchmarkDelete register at a
// time (their untimed counterpart runs once per batch). The fds stay below
// FDSetSize so that select runs them too.
const benchBatch = 200

// BenchmarkAdd measures Add of a pipe into a poller that already watches 100
// fds; the fds are deleted again, untimed, every benchBatch Adds.
func BenchmarkAdd(b *testing.B) {
	forBackends(b, func(b *testing.B, p eventpoll.Poller, fds []int) {
		for i := 0; i < b.N; {
			for _, fd := range fds {
				if err := p.Add(fd, eventpoll.Readable, 1); err != nil {
					b.Fatal(err)
				}
			}
			i += len(fds)
			b.StopTimer()
			for _, fd := range fds {
				if err := p.Delete(fd); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
	})
}

// BenchmarkModify measures Modify of a registered pipe, alternating its
// interest, in a poller that watches 100 other fds.
func BenchmarkModify(b *testing.B) {
	forBackends(b, func(b *testing.B, p eventpoll.Poller, fds []int) {
		fd := fds[0]
		if err := p.Add(fd, eventpoll.Readable, 1); err != nil {
			b.Fatal(err)
		}
		modes := [2]eventpoll.Events{eventpoll.Readable | eventpoll.EdgeTriggered, eventpoll.Readable}
		for i := 0; i < b.N; i++ {
			if err := p.Modify(fd, modes[i&1], uint64(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDelete measures Delete of a pipe from a poller that watches 100
// other fds; the fds are added again, untimed, every benchBatch Deletes.
func BenchmarkDelete(b *testing.B) {
	forBackends(b, func(b *testing.B, p eventpoll.Poller, fds []int) {
		for i := 0; i < b.N; {
			b.StopTimer()
			for _, fd := range fds {
				if err := p.Add(fd, eventpoll.Readable, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			for _, fd := range fds {
				if err := p.Delete(fd); err != nil {
					b.Fatal(err)
				}
			}
			i += len(fds)
		}
	})
}

// BenchmarkAddDelete measures an Add and a Delete of one pipe together.
func BenchmarkAddDelete(b *testing.B) {
	forBackends(b, func(b *testing.B, p eventpoll.Poller, fds []int) {
		fd := fds[0]
		for i := 0; i < b.N; i++ {
			if err := p.Add(fd, eventpoll.Readable, 1); err != nil {
				b.Fatal(err)
			}
			if err := p.Delete(fd); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// forBackends runs fn for every backend with a poller that watches 100 idle
// pipes, and benchBatch more pipes' read ends, not registered, for fn to use.
func forBackends(b *testing.B, fn func(b *testing.B, p eventpoll.Poller, fds []int)) {
	for _, backend := range eventpoll.Backends() {
		b.Run(backend, func(b *testing.B) {
			f := &benchFixture{b: b}
			defer f.close()
			p := newBenchPoller(b, backend)
			for i := 0; i < 100; i++ {
				r, _ := f.pipe()
				if err := p.Add(r, eventpoll.Readable, uint64(i+2)); err != nil {
					b.Fatal(err)
				}
			}
			fds := make([]int, benchBatch)
			for i := range fds {
				fds[i], _ = f.pipe()
			}
			// Register and remove them all once, and Wait once, so that the
			// backends' tables have grown to their steady-state size.
			for _, fd := range fds {
				if err := p.Add(fd, eventpoll.Readable, 1); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := p.Wait(make([]eventpoll.Event, 8), 0); err != nil {
				b.Fatal(err)
			}
			for _, fd := range fds {
				if err := p.Delete(fd); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			fn(b, p, fds)
		})
	}
}
