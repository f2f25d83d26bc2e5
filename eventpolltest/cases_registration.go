package eventpolltest

import (
	"errors"
	"strconv"
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// registrationCases cover Add, Modify and Delete and the errors they return.
var registrationCases = []testCase{
	par("BackendName", func(f *fixture) {
		p := f.poller()
		if got := p.Backend(); got != f.target.Backend {
			f.t.Fatalf("Backend() = %q, want %q", got, f.target.Backend)
		}
	}),
	par("AddModifyDelete", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, 1)
		f.expect(p, ev(ep.Readable, 1))
		f.modify(p, r, ep.Readable, 2)
		f.expect(p, ev(ep.Readable, 2))
		f.del(p, r)
		f.expectNone(p)
	}),
	par("AddTwiceEEXIST", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, 1)
		f.wantErr(p.Add(r, ep.Readable, 2), "second Add", syscall.EEXIST)
		// The first registration is untouched.
		f.expect(p, ev(ep.Readable, 1))
	}),
	par("ModifyUnregisteredENOENT", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.wantErr(p.Modify(r, ep.Readable, 1), "Modify of an unregistered fd", syscall.ENOENT)
	}),
	par("DeleteUnregisteredENOENT", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.wantErr(p.Delete(r), "Delete of an unregistered fd", syscall.ENOENT)
		f.add(p, r, ep.Readable, 1)
		f.del(p, r)
		f.wantErr(p.Delete(r), "second Delete", syscall.ENOENT)
		f.wantErr(p.Modify(r, ep.Readable, 1), "Modify after Delete", syscall.ENOENT)
	}),
	par("InvalidFDEBADF", func(f *fixture) {
		p := f.poller()
		f.wantErr(p.Add(-1, ep.Readable, 1), "Add(-1)", syscall.EBADF)
		f.wantErr(p.Modify(-1, ep.Readable, 1), "Modify(-1)", syscall.EBADF)
		f.wantErr(p.Delete(-1), "Delete(-1)", syscall.EBADF)
	}),
	// Sequential: the closed number must not be reused by another case
	// between Close and Add.
	seq("ClosedFDEBADF", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.closeFD(r)
		f.wantErr(p.Add(r, ep.Readable, 1), "Add of a closed fd", syscall.EBADF)
	}),
	par("RegularFileEPERM", func(f *fixture) {
		p := f.poller()
		fd, err := f.k.RegularFile()
		f.check(err, "RegularFile")
		f.track(fd)
		f.wantErr(p.Add(fd, ep.Readable, 1), "Add of a regular file", syscall.EPERM)
		// Not registered by the failed Add.
		f.expectNone(p)
	}),
	par("UnknownBitsEINVAL", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		for _, bad := range []ep.Events{1 << 20, ep.Readable | 1<<29, ep.Readable | 1<<27} {
			f.wantErr(p.Add(r, bad, 1), "Add with unknown bits "+bad.String(), syscall.EINVAL)
		}
		f.add(p, r, ep.Readable, 1)
		f.wantErr(p.Modify(r, ep.Readable|1<<20, 2), "Modify with unknown bits", syscall.EINVAL)
	}),
	par("ReservedDataEINVAL", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.wantErr(p.Add(r, ep.Readable, ep.ReservedData), "Add with ReservedData", syscall.EINVAL, ep.ErrReservedData)
		f.add(p, r, ep.Readable, 1)
		f.wantErr(p.Modify(r, ep.Readable, ep.ReservedData), "Modify with ReservedData", syscall.EINVAL, ep.ErrReservedData)
		// The failed Modify left the registration as it was.
		f.expect(p, ev(ep.Readable, 1))
	}),
	par("WaitEmptySliceEINVAL", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, 1)
		n, err := p.Wait(nil, 0)
		f.wantErr(err, "Wait(nil)", syscall.EINVAL)
		if n != 0 {
			f.t.Fatalf("Wait(nil) = %d events", n)
		}
		n, err = p.Wait([]ep.Event{}, time.Second)
		f.wantErr(err, "Wait(empty slice)", syscall.EINVAL)
		if n != 0 {
			f.t.Fatalf("Wait(empty) = %d events", n)
		}
	}),
	par("DataRoundTrip", func(f *fixture) {
		p := f.poller()
		values := []uint64{0, 1, 1 << 63, 0xdeadbeefcafef00d, ep.ReservedData - 1, 1<<32 + 7}
		for i, v := range values {
			r, _ := f.readyPipe(1)
			f.add(p, r, ep.Readable, v)
			f.expect(p, ev(ep.Readable, v))
			w := values[(i+1)%len(values)]
			f.modify(p, r, ep.Readable, w)
			f.expect(p, ev(ep.Readable, w))
			f.del(p, r)
		}
	}),
	par("DataDistinctPerFD", func(f *fixture) {
		p := f.poller()
		var want []ep.Event
		for i := range 5 {
			r, _ := f.readyPipe(1)
			d := uint64(100 + i)
			f.add(p, r, ep.Readable, d)
			want = append(want, ev(ep.Readable, d))
		}
		f.expect(p, want...)
	}),
	par("TwoPollersSameFD", func(f *fixture) {
		p1, p2 := f.poller(), f.poller()
		r, w := f.pipe()
		f.add(p1, r, ep.Readable, 1)
		f.add(p2, r, ep.Readable|ep.EdgeTriggered, 2)
		f.expectNone(p1)
		f.write(w, []byte("x"))
		f.expect(p1, ev(ep.Readable, 1))
		f.expect(p2, ev(ep.Readable, 2))
		f.del(p1, r)
		f.expectNone(p1)
		f.expectNone(p2)
	}),
	// Sequential: holds about a thousand fds so that the others keep low
	// numbers (which select needs).
	seq("FDTooLarge", func(f *fixture) {
		r, w := f.pipe()
		var dups []int
		high := -1
		for high < ep.FDSetSize {
			d, err := f.k.Dup(r)
			if err != nil {
				for _, d := range dups {
					_ = f.k.Close(d)
				}
				if errors.Is(err, syscall.EMFILE) {
					f.t.Skipf("kernel refuses fds up to %d (%v)", ep.FDSetSize, err)
				}
				f.t.Fatalf("Dup: %v", err)
			}
			dups = append(dups, d)
			high = d
		}
		for _, d := range dups[:len(dups)-1] {
			f.check(f.k.Close(d), "Close(%d)", d)
		}
		f.track(high)
		p := f.poller()
		err := p.Add(high, ep.Readable, 7)
		if lim := f.target.Caps.FDLimit; lim > 0 && high >= lim {
			f.wantErr(err, "Add of fd "+strconv.Itoa(high), ep.ErrFDTooLarge, syscall.EINVAL)
			return
		}
		f.check(err, "Add(%d)", high)
		f.expectNone(p)
		f.write(w, []byte("x"))
		f.expect(p, ev(ep.Readable, 7))
		f.del(p, high)
	}),
}

// closedCases check that every method of a closed Poller fails with
// ErrClosed (which wraps EBADF).
var closedCases = []testCase{
	par("ClosedAdd", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.check(p.Close(), "Close")
		f.wantErr(p.Add(r, ep.Readable, 1), "Add after Close", ep.ErrClosed, syscall.EBADF)
	}),
	par("ClosedModify", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.add(p, r, ep.Readable, 1)
		f.check(p.Close(), "Close")
		f.wantErr(p.Modify(r, ep.Readable, 2), "Modify after Close", ep.ErrClosed, syscall.EBADF)
	}),
	par("ClosedDelete", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.add(p, r, ep.Readable, 1)
		f.check(p.Close(), "Close")
		f.wantErr(p.Delete(r), "Delete after Close", ep.ErrClosed, syscall.EBADF)
	}),
	par("ClosedWait", func(f *fixture) {
		p := f.poller()
		r, _ := f.readyPipe(1)
		f.add(p, r, ep.Readable, 1)
		f.check(p.Close(), "Close")
		for _, d := range []time.Duration{0, time.Millisecond, -1} {
			n, err := p.Wait(make([]ep.Event, 4), d)
			f.wantErr(err, "Wait("+d.String()+") after Close", ep.ErrClosed, syscall.EBADF)
			if n != 0 {
				f.t.Fatalf("Wait after Close returned %d events", n)
			}
		}
	}),
	par("ClosedWake", func(f *fixture) {
		p := f.poller()
		f.check(p.Close(), "Close")
		f.wantErr(p.Wake(), "Wake after Close", ep.ErrClosed, syscall.EBADF)
	}),
	par("ClosedClose", func(f *fixture) {
		p := f.poller()
		f.check(p.Close(), "Close")
		f.wantErr(p.Close(), "second Close", ep.ErrClosed, syscall.EBADF)
	}),
	par("CloseDuringWait", func(f *fixture) {
		p := f.poller()
		r, _ := f.pipe()
		f.add(p, r, ep.Readable, 1)
		ch := waitAsync(p, 4, -1)
		f.stillBlocked(ch, quiet, "Wait(-1) with nothing ready")
		f.check(p.Close(), "Close")
		res := f.receive(ch, "Close during Wait(-1)")
		f.wantErr(res.err, "Wait interrupted by Close", ep.ErrClosed, syscall.EBADF)
		if len(res.evs) != 0 {
			f.t.Fatalf("Wait interrupted by Close returned events %v", fmtEvents(res.evs))
		}
	}),
}
