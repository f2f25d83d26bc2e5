//go:build linux

package eventpoll

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pipeWakeBackend is registered in this package's tests: the poll backend
// with the wake pipe and unix.Poll of darwin and the BSDs instead of
// Linux's eventfd and ppoll(2), so that the conformance suite and the
// emulation's unit tests run that code on a real kernel here
// (TestConformance/poll-pipewake/<case>).
const pipeWakeBackend = "poll-pipewake"

func init() {
	emulatePipeWake = pipeWakeBackend
	Register(pipeWakeBackend, func() (Poller, error) { return newPoll(pipeWakeBackend) })
}

// TestEmuPipeWakeDrain: the poll-pipewake backend waits on a pipe's read
// end, the poll backend on an eventfd; several writes to the pipe are
// drained by one drainWake, so a Wait after it blocks again.
func TestEmuPipeWakeDrain(t *testing.T) {
	if e := newTestEmu(t, "poll"); e.wakePipe || e.wakeFD != e.wakeW {
		t.Fatalf("poll: wakePipe %v, fds %d/%d; want one eventfd", e.wakePipe, e.wakeFD, e.wakeW)
	}
	e := newTestEmu(t, pipeWakeBackend)
	if !e.wakePipe || e.wakeFD == e.wakeW {
		t.Fatalf("%s: wakePipe %v, fds %d/%d; want a pipe", pipeWakeBackend, e.wakePipe, e.wakeFD, e.wakeW)
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
