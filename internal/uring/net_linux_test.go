package uring

import (
	"bytes"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// socketpair returns a connected non-blocking stream socket pair, closed at
// the end of the test.
func socketpair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

// submitWait submits what is queued and waits for at least want completions
// (at most 5 s), returning them.
func submitWait(t *testing.T, r *Ring, want int) []CQE {
	t.Helper()
	var got []CQE
	a := NewWaitArg()
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d completions after 5 s, want %d: %+v", len(got), want, got)
		}
		if _, err := enter(r, r.Flush(), 1, 100*time.Millisecond, a); err != nil && !errors.Is(err, unix.ETIME) {
			t.Fatalf("Enter: %v", err)
		}
		var cqes [64]CQE
		n := r.Peek(cqes[:])
		got = append(got, cqes[:n]...)
	}
	return got
}

func newBufRing(t *testing.T, r *Ring, entries uint32, size int) *BufRing {
	t.Helper()
	b, err := NewBufRing(r, 7, entries, size)
	if err != nil {
		if errors.Is(err, unix.EINVAL) {
			t.Skipf("no provided-buffer rings: %v", err)
		}
		t.Fatalf("NewBufRing: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestBufRingRecycle: a multishot receive takes buffers from the ring; with
// one buffer left unreturned the ring runs dry (ENOBUFS ends the request),
// and buffers given back with Add and Publish serve a new request.
func TestBufRingRecycle(t *testing.T) {
	r := newRing(t, 16, Options{})
	b := newBufRing(t, r, 2, 8)
	if _, err := NewBufRing(r, 7, 3, 8); err == nil {
		t.Fatal("NewBufRing with 3 entries succeeded")
	}
	a, c := socketpair(t)
	r.NextSQE().PrepRecvMultishot(a, b.Group(), 1)
	var seen []byte
	var used []uint16
	for _, msg := range []string{"first", "second"} {
		unix.Write(c, []byte(msg))
		cqes := submitWait(t, r, 1)
		id, ok := cqes[0].BufferID()
		if !ok || cqes[0].Res != int32(len(msg)) || !cqes[0].More() {
			t.Fatalf("completion %+v for %q: want a buffer, res %d, F_MORE", cqes[0], msg, len(msg))
		}
		seen = append(seen, b.Buf(id)[:cqes[0].Res]...)
		used = append(used, id)
	}
	if string(seen) != "firstsecond" || used[0] == used[1] {
		t.Fatalf("received %q in buffers %v", seen, used)
	}
	unix.Write(c, []byte("third"))
	cqes := submitWait(t, r, 1)
	if cqes[0].Res != -int32(unix.ENOBUFS) || cqes[0].More() {
		t.Fatalf("completion %+v with the ring empty: want -ENOBUFS, no F_MORE", cqes[0])
	}
	b.Add(used[0])
	b.Add(used[1])
	b.Publish()
	r.NextSQE().PrepRecvMultishot(a, b.Group(), 2)
	cqes = submitWait(t, r, 1)
	id, ok := cqes[0].BufferID()
	if !ok || cqes[0].UserData != 2 || string(b.Buf(id)[:cqes[0].Res]) != "third" {
		t.Fatalf("after recycling: %+v", cqes[0])
	}
	// End of file ends the request: res 0, no F_MORE.
	unix.Shutdown(c, unix.SHUT_WR)
	cqes = submitWait(t, r, 1)
	if cqes[0].Res != 0 || cqes[0].More() {
		t.Fatalf("at end of file: %+v", cqes[0])
	}
}

// TestAcceptMultishot: one request accepts every connection, each a
// non-blocking close-on-exec descriptor; cancelling it ends the request.
func TestAcceptMultishot(t *testing.T) {
	r := newRing(t, 16, Options{})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, _ := ln.(*net.TCPListener).File()
	defer f.Close()
	r.NextSQE().PrepAcceptMultishot(int(f.Fd()), 5)
	for i := range 3 {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cqes := submitWait(t, r, 1)
		if cqes[0].UserData != 5 || cqes[0].Res < 0 || !cqes[0].More() {
			t.Fatalf("accept %d: %+v", i, cqes[0])
		}
		fd := int(cqes[0].Res)
		fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		fdfl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		unix.Close(fd)
		if fl&unix.O_NONBLOCK == 0 || fdfl&unix.FD_CLOEXEC == 0 {
			t.Fatalf("accepted fd flags %#x, fd flags %#x: want O_NONBLOCK and FD_CLOEXEC", fl, fdfl)
		}
	}
	r.NextSQE().PrepCancel(5, 0, 6)
	cqes := submitWait(t, r, 2)
	for _, c := range cqes {
		switch c.UserData {
		case 5:
			if c.Res != -int32(unix.ECANCELED) || c.More() {
				t.Errorf("cancelled accept: %+v", c)
			}
		case 6:
			if c.Res != 0 {
				t.Errorf("cancel: %+v", c)
			}
		}
	}
	r.NextSQE().PrepCancel(5, 0, 7)
	if cqes := submitWait(t, r, 1); cqes[0].Res != -int32(unix.ENOENT) {
		t.Errorf("cancel of nothing: %+v, want -ENOENT", cqes[0])
	}
}

// TestSendSendmsg: the two write preps deliver their bytes in order, and a
// send to a closed peer fails with EPIPE.
func TestSendSendmsg(t *testing.T) {
	r := newRing(t, 16, Options{})
	a, c := socketpair(t)
	one := []byte("send|")
	p2, p3 := []byte("send"), []byte("msg")
	iov := []unix.Iovec{{Base: &p2[0]}, {Base: &p3[0]}}
	iov[0].SetLen(len(p2))
	iov[1].SetLen(len(p3))
	var msg unix.Msghdr
	msg.Iov = &iov[0]
	msg.SetIovlen(len(iov))
	s := r.NextSQE()
	s.PrepSend(a, one, unix.MSG_NOSIGNAL, 1)
	s.Flags |= 1 << 2 // IOSQE_IO_LINK: keep the order
	r.NextSQE().PrepSendmsg(a, &msg, unix.MSG_NOSIGNAL, 2)
	cqes := submitWait(t, r, 2)
	runtime.KeepAlive(iov)
	runtime.KeepAlive(&msg)
	for _, q := range cqes {
		want := map[uint64]int32{1: 5, 2: 7}[q.UserData]
		if q.Res != want {
			t.Errorf("completion %+v, want res %d", q, want)
		}
	}
	buf := make([]byte, 64)
	n, _ := unix.Read(c, buf)
	if !bytes.Equal(buf[:n], []byte("send|sendmsg")) {
		t.Fatalf("peer read %q", buf[:n])
	}
	// A send to a closed peer fails with EPIPE, without SIGPIPE.
	unix.Close(c)
	d, e := socketpair(t)
	unix.Close(e)
	r.NextSQE().PrepSend(d, one, unix.MSG_NOSIGNAL, 5)
	if cqes := submitWait(t, r, 1); cqes[0].Res != -int32(unix.EPIPE) {
		t.Fatalf("send to a closed peer: %+v, want -EPIPE", cqes[0])
	}
}

// TestReadEventfd: a read request on an eventfd completes when another
// thread writes it (how a loop is woken).
func TestReadEventfd(t *testing.T) {
	r := newRing(t, 4, Options{})
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(efd)
	var buf [8]byte
	r.NextSQE().PrepRead(efd, buf[:], 9)
	go func() {
		time.Sleep(20 * time.Millisecond)
		unix.Write(efd, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	}()
	cqes := submitWait(t, r, 1)
	if cqes[0].UserData != 9 || cqes[0].Res != 8 || buf[0] != 1 {
		t.Fatalf("eventfd read: %+v, %v", cqes[0], buf)
	}
}

// TestNewTaskrun: the kernel here grants single issuer and deferred task
// running; a disabled ring takes submissions only from the thread that
// enabled it.
func TestNewTaskrun(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := NewTaskrun(8, Options{Flags: SetupRDisabled})
	if err != nil {
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
			t.Skipf("io_uring unavailable: %v", err)
		}
		t.Fatal(err)
	}
	defer r.Close()
	t.Logf("setup flags %#x", r.SetupFlags())
	if r.SetupFlags()&SetupRDisabled == 0 {
		t.Fatalf("flags %#x lack R_DISABLED", r.SetupFlags())
	}
	var u unix.Utsname
	unix.Uname(&u)
	if r.SetupFlags()&(SetupSingleIssuer|SetupDeferTaskrun) != SetupSingleIssuer|SetupDeferTaskrun {
		t.Logf("kernel %s lacks SINGLE_ISSUER|DEFER_TASKRUN: flags %#x", unix.ByteSliceToString(u.Release[:]), r.SetupFlags())
	}
	r.NextSQE().PrepNop(1)
	if _, err := r.Submit(r.Flush(), 0); !errors.Is(err, unix.EBADFD) {
		t.Fatalf("submit to a disabled ring: %v, want EBADFD", err)
	}
	if err := r.Enable(); err != nil {
		t.Fatal(err)
	}
	if cqes := submitWait(t, r, 1); cqes[0].UserData != 1 {
		t.Fatalf("nop after Enable: %+v", cqes[0])
	}
	if r.SetupFlags()&SetupSingleIssuer != 0 {
		done := make(chan error)
		go func() {
			runtime.LockOSThread() // a thread of its own, never the enabling one
			r.NextSQE().PrepNop(2)
			_, err := r.Submit(r.Flush(), 0)
			done <- err
		}()
		if err := <-done; !errors.Is(err, unix.EEXIST) {
			t.Fatalf("submit from another thread: %v, want EEXIST", err)
		}
	}
}

// TestCancelAny: a cancellation with AsyncCancelAny|AsyncCancelAll ends
// every request in flight (a multishot receive, a multishot poll and a
// send that waits for room), each with -ECANCELED, and its own completion
// counts them.
func TestCancelAny(t *testing.T) {
	r := newRing(t, 16, Options{})
	b := newBufRing(t, r, 4, 256)
	a, _ := socketpair(t)
	// Fill a's send buffer so that a send must wait.
	chunk := make([]byte, 64<<10)
	for {
		if _, err := unix.Write(a, chunk); err != nil {
			break
		}
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	r.NextSQE().PrepRecvMultishot(a, b.Group(), 1)
	r.NextSQE().PrepPollAdd(p[0], unix.POLLIN, PollAddMulti, 2)
	r.NextSQE().PrepSend(a, chunk, 0, 3)
	if _, err := r.Submit(r.Flush(), 0); err != nil {
		t.Fatal(err)
	}
	if n := r.CQReady(); n != 0 {
		t.Fatalf("%d completions before the cancellation, want none", n)
	}
	r.NextSQE().PrepCancel(0, AsyncCancelAny|AsyncCancelAll, 9)
	got := submitWait(t, r, 4)
	res := map[uint64]int32{}
	for _, c := range got {
		res[c.UserData] = c.Res
	}
	if res[9] != 3 {
		t.Fatalf("cancellation: Res %d, want 3 (completions %+v)", res[9], got)
	}
	for ud := uint64(1); ud <= 3; ud++ {
		if r, ok := res[ud]; !ok || r != -int32(unix.ECANCELED) {
			t.Fatalf("request %d: Res %d (present %v), want -ECANCELED (completions %+v)", ud, r, ok, got)
		}
	}
}
