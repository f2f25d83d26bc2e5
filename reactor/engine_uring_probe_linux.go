package reactor

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/eventpoll/eventpoll/internal/uring"
	"golang.org/x/sys/unix"
)

// This file holds the completion engine's probe: whether io_uring and
// every operation the engine uses work here (engine_uring_linux.go has the
// model).

// completionProbe is the answer of completionUnavailable, found once per
// process.
var completionProbe = sync.OnceValue(probeCompletion)

// completionUnavailable returns why the completion engine cannot run here
// (nil when it can): io_uring_setup refused (ENOSYS, EPERM under seccomp
// or kernel.io_uring_disabled), an operation the engine uses missing from
// IORING_REGISTER_PROBE, no provided-buffer rings (before 5.19), or no
// multishot receive (before 6.0: tried on a socket pair).
func completionUnavailable() error { return completionProbe() }

func probeCompletion() error {
	// A single-issuer ring takes submissions from its creating thread only.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := uring.NewTaskrun(4, uring.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := r.Probe()
	if err != nil {
		return err
	}
	ops := []struct {
		op   uint8
		name string
	}{
		{uring.OpAccept, "ACCEPT"}, {uring.OpRecv, "RECV"}, {uring.OpSend, "SEND"},
		{uring.OpSendmsg, "SENDMSG"}, {uring.OpAsyncCancel, "ASYNC_CANCEL"},
		{uring.OpRead, "READ"}, {uring.OpPollAdd, "POLL_ADD"},
	}
	for _, o := range ops {
		if !p.Supported(o.op) {
			return fmt.Errorf("the kernel lacks IORING_OP_%s", o.name)
		}
	}
	b, err := uring.NewBufRing(r, 1, 1, 64)
	if err != nil {
		return err
	}
	defer b.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("probing multishot receive: %w", err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	r.NextSQE().PrepRecvMultishot(fds[0], 1, 1)
	if _, err := unix.Write(fds[1], []byte{1}); err != nil {
		return fmt.Errorf("probing multishot receive: %w", err)
	}
	wa := uring.NewWaitArg()
	var cqe [1]uring.CQE
	for deadline := time.Now().Add(time.Second); r.Peek(cqe[:]) == 0; {
		if time.Now().After(deadline) {
			return errors.New("probing multishot receive: no completion")
		}
		if _, err := r.Enter(r.Flush(), 1, 100*time.Millisecond, wa); err != nil &&
			!errors.Is(err, unix.ETIME) && !errors.Is(err, unix.EINTR) {
			return err
		}
	}
	if cqe[0].Res != 1 || !cqe[0].More() {
		return fmt.Errorf("the kernel lacks multishot receive (Linux 6.0): probe completed with res %d flags %#x", cqe[0].Res, cqe[0].Flags)
	}
	return nil
}
