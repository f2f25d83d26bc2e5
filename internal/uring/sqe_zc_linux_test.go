package uring

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSendZC: a zero-copy send and sendmsg over TCP each post their result
// (with F_MORE) and then the notification (F_NOTIF, same user data), and
// the peer reads the bytes; on an AF_UNIX socket the send fails with
// EOPNOTSUPP.
func TestSendZC(t *testing.T) {
	r := newRing(t, 16, Options{})
	if p, err := r.Probe(); err != nil || !p.Supported(OpSendZC) || !p.Supported(OpSendmsgZC) {
		t.Skipf("no zero-copy send (probe: %v)", err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	f, _ := c.(*net.TCPConn).File()
	defer f.Close()
	fd := int(f.Fd())

	// result, then notification, for one request
	check := func(what string, ud uint64, want int32) {
		t.Helper()
		cqes := submitWait(t, r, 2)
		if q := cqes[0]; q.UserData != ud || q.Res != want || !q.More() || q.Notif() {
			t.Fatalf("%s result: %+v, want res %d with F_MORE", what, q, want)
		}
		if q := cqes[1]; q.UserData != ud || !q.Notif() || q.More() {
			t.Fatalf("%s notification: %+v, want F_NOTIF", what, q)
		}
	}
	big := bytes.Repeat([]byte("zero-copy|"), 6554)[:64<<10]
	r.NextSQE().PrepSendZC(fd, big, unix.MSG_NOSIGNAL, 1)
	check("send", 1, int32(len(big)))
	runtime.KeepAlive(big)
	got := make([]byte, len(big))
	if _, err := io.ReadFull(peer, got); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("peer read %d bytes, %v: not what was sent", len(got), err)
	}

	p1, p2 := big[:20000], big[20000:]
	iov := []unix.Iovec{{Base: &p1[0]}, {Base: &p2[0]}}
	iov[0].SetLen(len(p1))
	iov[1].SetLen(len(p2))
	var msg unix.Msghdr
	msg.Iov = &iov[0]
	msg.SetIovlen(len(iov))
	r.NextSQE().PrepSendmsgZC(fd, &msg, unix.MSG_NOSIGNAL, 2)
	check("sendmsg", 2, int32(len(big)))
	runtime.KeepAlive(iov)
	runtime.KeepAlive(&msg)
	if _, err := io.ReadFull(peer, got); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("peer read %d bytes, %v: not what was sent", len(got), err)
	}

	a, _ := socketpair(t)
	r.NextSQE().PrepSendZC(a, big[:16], unix.MSG_NOSIGNAL, 3)
	cqes := submitWait(t, r, 1)
	if q := cqes[0]; q.UserData != 3 || q.Res != -int32(unix.EOPNOTSUPP) {
		t.Fatalf("zero-copy send on AF_UNIX: %+v, want -EOPNOTSUPP", q)
	}
	if cqes[0].More() && len(cqes) == 1 {
		if q := submitWait(t, r, 1)[0]; !q.Notif() {
			t.Fatalf("after the failed send: %+v, want its notification", q)
		}
	}
}
