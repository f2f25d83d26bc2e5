package uring

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFixedFiles: a descriptor put in a sparse file table by an update in
// the submission queue serves a send and a multishot receive that name its
// slot, in the same submission as the update; the table holds a reference
// of its own (closing the descriptor does not close the socket) until the
// slot is cleared, after which a request naming the slot fails with EBADF.
func TestFixedFiles(t *testing.T) {
	r := newRing(t, 16, Options{})
	if err := r.RegisterFilesSparse(8); err != nil {
		if errors.Is(err, unix.EINVAL) {
			t.Skipf("no sparse file tables: %v", err)
		}
		t.Fatalf("RegisterFilesSparse: %v", err)
	}
	if err := r.RegisterFilesSparse(8); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("second RegisterFilesSparse: %v, want EBUSY", err)
	}
	b := newBufRing(t, r, 2, 16)
	a, c := socketpair(t)
	const slot = 3
	fd := []int32{int32(a)}
	r.NextSQE().PrepFilesUpdate(fd, slot, 1)
	msg := []byte("fixed")
	s := r.NextSQE()
	s.PrepSend(0, msg, unix.MSG_NOSIGNAL, 2)
	s.SetFixedFile(slot)
	s = r.NextSQE()
	s.PrepRecvMultishot(0, b.Group(), 3)
	s.SetFixedFile(slot)
	cqes := submitWait(t, r, 2)
	runtime.KeepAlive(fd)
	runtime.KeepAlive(msg)
	for _, q := range cqes {
		want := map[uint64]int32{1: 1, 2: int32(len(msg))}[q.UserData]
		if q.Res != want {
			t.Fatalf("completion %+v, want res %d", q, want)
		}
	}
	buf := make([]byte, 16)
	if n, err := unix.Read(c, buf); err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("peer read %q, %v; want %q", buf[:n], err, msg)
	}
	unix.Write(c, []byte("back"))
	cqes = submitWait(t, r, 1)
	id, ok := cqes[0].BufferID()
	if cqes[0].UserData != 3 || !ok || string(b.Buf(id)[:cqes[0].Res]) != "back" {
		t.Fatalf("receive on the slot: %+v", cqes[0])
	}

	// Cancel the receive, close the descriptor: the table still holds the
	// socket, so the peer sees no end of file.
	r.NextSQE().PrepCancel(3, 0, 4)
	submitWait(t, r, 2)
	unix.Close(a)
	if n, err := unix.Read(c, buf); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("peer read %d, %v after close with the slot filled; want EAGAIN", n, err)
	}
	// Clearing the slot drops the last reference: end of file.
	clear := []int32{-1}
	r.NextSQE().PrepFilesUpdate(clear, slot, 5)
	if cqes := submitWait(t, r, 1); cqes[0].Res != 1 {
		t.Fatalf("clearing the slot: %+v", cqes[0])
	}
	runtime.KeepAlive(clear)
	fds := []unix.PollFd{{Fd: int32(c), Events: unix.POLLIN}}
	if _, err := unix.Poll(fds, 5000); err != nil {
		t.Fatal(err)
	}
	if n, err := unix.Read(c, buf); n != 0 || err != nil {
		t.Fatalf("peer read %d, %v after the slot was cleared; want end of file", n, err)
	}
	s = r.NextSQE()
	s.PrepSend(0, msg, unix.MSG_NOSIGNAL, 6)
	s.SetFixedFile(slot)
	if cqes := submitWait(t, r, 1); cqes[0].Res != -int32(unix.EBADF) {
		t.Fatalf("send on a cleared slot: %+v, want -EBADF", cqes[0])
	}
	if err := r.UnregisterFiles(); err != nil {
		t.Fatalf("UnregisterFiles: %v", err)
	}
}
