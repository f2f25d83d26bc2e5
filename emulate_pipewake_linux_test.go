//go:build linux

package eventpoll

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pipeWakeBackend and selectPipeWakeBackend are registered in this
// package's tests: the poll and select backends with the calls of darwin
// and the BSDs instead of Linux's: the wake pipe instead of an eventfd,
// unix.Poll instead of ppoll(2), for select unix.Select (a timeval)
// instead of pselect6(2), and the poll(2) bits of pollbits.go without
// POLLRDHUP (emuRdhupBit), so that ReadHangup is reported only with Hangup
// and Capabilities.ReadHangup is false, as there. So the conformance suite
// and the emulation's unit tests run that code on a real kernel here
// (TestConformance/poll-pipewake/<case>, TestConformance/select-pipewake/<case>;
// the cases about a peer's write shutdown check the fallback and skip).
const (
	pipeWakeBackend       = "poll-pipewake"
	selectPipeWakeBackend = "select-pipewake"
)

func init() {
	emulatePipeWake = []string{pipeWakeBackend, selectPipeWakeBackend}
	Register(pipeWakeBackend, func() (Poller, error) { return newPoll(pipeWakeBackend) })
	Register(selectPipeWakeBackend, func() (Poller, error) { return newSelect(selectPipeWakeBackend) })
}

// TestEmuPipeWakeDrain: the poll-pipewake and select-pipewake backends wait
// on a pipe's read end, poll and select on an eventfd (and select-pipewake
// calls unix.Select, select pselect6); several writes to the pipe are
// drained by one drainWake, so a Wait after it blocks again.
func TestEmuPipeWakeDrain(t *testing.T) {
	for _, pair := range [][2]string{{"poll", pipeWakeBackend}, {"select", selectPipeWakeBackend}} {
		t.Run(pair[1], func(t *testing.T) { emuPipeWakeDrain(t, pair[0], pair[1]) })
	}
}

func emuPipeWakeDrain(t *testing.T, native, pipeWake string) {
	n := newTestEmu(t, native)
	if n.wakePipe || n.wakeFD != n.wakeW {
		t.Fatalf("%s: wakePipe %v, fds %d/%d; want one eventfd", native, n.wakePipe, n.wakeFD, n.wakeW)
	}
	e := newTestEmu(t, pipeWake)
	if !e.wakePipe || e.wakeFD == e.wakeW {
		t.Fatalf("%s: wakePipe %v, fds %d/%d; want a pipe", pipeWake, e.wakePipe, e.wakeFD, e.wakeW)
	}
	if nb, ok := n.be.(*selectBackend); ok {
		if eb := e.be.(*selectBackend); nb.timeval || !eb.timeval {
			t.Fatalf("unix.Select used by %s: %v, by %s: %v; want only by %s", native, nb.timeval, pipeWake, eb.timeval, pipeWake)
		}
	}
	for _, fd := range []int{e.wakeFD, e.wakeW} {
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil || fl&unix.O_NONBLOCK == 0 {
			t.Fatalf("wake pipe fd %d: flags %#x, %v; want O_NONBLOCK", fd, fl, err)
		}
		if fd, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fd&unix.FD_CLOEXEC == 0 {
			t.Fatalf("wake pipe: fd flags %#x, %v; want FD_CLOEXEC", fd, err)
		}
	}
	e.mu.Lock()
	for range 3 * len(e.drainBuf) {
		e.writeWake()
	}
	e.drainWake()
	e.mu.Unlock()
	fds := []unix.PollFd{{Fd: int32(e.wakeFD), Events: unix.POLLIN}}
	if n, err := pollMsec(fds, 0); n != 0 || err != nil {
		t.Fatalf("after drainWake: poll = %d, %v (revents %#x); want the pipe empty", n, err, fds[0].Revents)
	}
	events := make([]Event, 4)
	if n, err := e.Wait(events, 0); n != 0 || err != nil {
		t.Fatalf("Wait(0) = %d, %v; want 0, nil", n, err)
	}

	// A Wait blocked in poll(2) and woken by Wake leaves the pipe drained.
	done := make(chan error, 1)
	go func() {
		_, err := e.Wait(events, 10*time.Second)
		done <- err
	}()
	for {
		e.mu.Lock()
		blocked := e.waiters > 0
		e.mu.Unlock()
		if blocked {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := e.Wake(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wake did not end a blocked Wait")
	}
	if n, err := pollMsec(fds, 0); n != 0 || err != nil {
		t.Fatalf("after a woken Wait: poll = %d, %v (revents %#x); want the pipe drained", n, err, fds[0].Revents)
	}
}

// TestEmuPipeWakeNoRdhup: the poll-pipewake and select-pipewake backends
// translate poll(2) bits as darwin and the BSDs do: they never ask for
// POLLRDHUP, a peer's write shutdown is Readable only, and they report
// Capabilities.ReadHangup false; poll and select keep Linux's POLLRDHUP.
func TestEmuPipeWakeNoRdhup(t *testing.T) {
	for _, pair := range [][2]string{{"poll", pipeWakeBackend}, {"select", selectPipeWakeBackend}} {
		t.Run(pair[1], func(t *testing.T) {
			n, e := newTestEmu(t, pair[0]), newTestEmu(t, pair[1])
			if !n.Capabilities().ReadHangup || n.rdhupBit != unix.POLLRDHUP {
				t.Errorf("%s: ReadHangup %v, bit %#x; want true, POLLRDHUP", pair[0], n.Capabilities().ReadHangup, n.rdhupBit)
			}
			if e.Capabilities().ReadHangup || e.rdhupBit != 0 {
				t.Errorf("%s: ReadHangup %v, bit %#x; want false, none", pair[1], e.Capabilities().ReadHangup, e.rdhupBit)
			}
			all := Readable | ReadHangup | Priority | Writable
			if got, want := n.pollEvents(all), int16(unix.POLLIN|unix.POLLPRI|unix.POLLOUT|unix.POLLRDHUP); got != want {
				t.Errorf("%s: pollEvents(%v) = %#x, want %#x", pair[0], all, got, want)
			}
			if got, want := e.pollEvents(all), int16(unix.POLLIN|unix.POLLPRI|unix.POLLOUT); got != want {
				t.Errorf("%s: pollEvents(%v) = %#x, want %#x", pair[1], all, got, want)
			}
			if got := e.fromPoll(unix.POLLIN | unix.POLLRDHUP); got != Readable {
				t.Errorf("%s: fromPoll(IN|RDHUP) = %v, want readable", pair[1], got)
			}
			if got := e.fromPoll(unix.POLLHUP); got != Hangup|ReadHangup {
				t.Errorf("%s: fromPoll(HUP) = %v, want hangup|read-hangup", pair[1], got)
			}
		})
	}
}
