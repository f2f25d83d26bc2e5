//go:build linux

package eventpoll

import (
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHostWriteRemembersNonSockets: a pipe made by the Kernel is written with
// write(2) at once; a pipe made elsewhere is learnt from the first ENOTSOCK;
// closing through the Kernel forgets it.
func TestHostWriteRemembersNonSockets(t *testing.T) {
	k := Host()
	r, w, err := k.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if !notSocket.has(r) || !notSocket.has(w) || !nonBlocking.has(r) || !nonBlocking.has(w) {
		t.Fatalf("pipe %d,%d not marked", r, w)
	}
	if n, err := k.Write(w, []byte("abc")); n != 3 || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	if n, err := k.Writev(w, [][]byte{[]byte("de"), []byte("f")}); n != 3 || err != nil {
		t.Fatalf("writev: %d %v", n, err)
	}
	buf := make([]byte, 8)
	if n, err := k.Read(r, buf); n != 6 || err != nil || string(buf[:n]) != "abcdef" {
		t.Fatalf("read %q %v", buf[:n], err)
	}
	k.Close(r)
	k.Close(w)
	if notSocket.has(r) || notSocket.has(w) || nonBlocking.has(r) || nonBlocking.has(w) {
		t.Fatal("closed descriptors still marked")
	}

	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	forgetFD(p[1])
	if n, err := k.Write(p[1], []byte("x")); n != 1 || err != nil {
		t.Fatalf("write to a foreign pipe: %d %v", n, err)
	}
	if !notSocket.has(p[1]) {
		t.Fatal("ENOTSOCK not remembered")
	}
	if nonBlocking.has(p[1]) {
		t.Fatal("a descriptor made elsewhere taken for non-blocking")
	}

	a, b, err := k.Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(a)
	if notSocket.has(a) || notSocket.has(b) || !nonBlocking.has(a) {
		t.Fatal("socket pair kinds wrong")
	}
	k.Close(b)
	// MSG_NOSIGNAL: a write to a closed peer is EPIPE, not a signal.
	if _, err := k.Write(a, []byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write to closed peer: %v", err)
	}
}

// TestHostReadEAGAINRearmsEmulatedEdge: on the emulating backends, readiness
// that drops and comes back between two Waits is a new edge only because
// the Kernel's Read reports its EAGAIN (rule 2 of the emulation).
func TestHostReadEAGAINRearmsEmulatedEdge(t *testing.T) {
	k := Host()
	for _, name := range []string{"poll", "select"} {
		t.Run(name, func(t *testing.T) {
			p, err := New(name)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			r, w, err := k.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close(r)
			defer k.Close(w)
			if err := p.Add(r, Readable|EdgeTriggered, 7); err != nil {
				t.Fatal(err)
			}
			ev := make([]Event, 4)
			k.Write(w, []byte("1"))
			if n, err := p.Wait(ev, 1000); n != 1 || err != nil {
				t.Fatalf("first edge: %d %v", n, err)
			}
			buf := make([]byte, 16)
			k.Read(r, buf)
			if _, err := k.Read(r, buf); err != syscall.EAGAIN {
				t.Fatalf("drained read: %v", err)
			}
			k.Write(w, []byte("2"))
			if n, err := p.Wait(ev, 1000); n != 1 || err != nil || ev[0].Data != 7 {
				t.Fatalf("edge after EAGAIN and new data: %d %v", n, err)
			}
		})
	}
}
