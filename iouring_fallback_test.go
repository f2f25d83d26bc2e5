//go:build linux

package eventpoll_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/internal/seccomptest"
	"golang.org/x/sys/unix"
)

// TestIOUringUnavailableUnderSeccomp runs TestIOUringSeccompChild in a
// child process whose seccomp filter makes io_uring_setup fail with EPERM.
func TestIOUringUnavailableUnderSeccomp(t *testing.T) {
	if seccomptest.InChild() {
		t.Skip("parent only")
	}
	out := seccomptest.RunChild(t, "TestIOUringSeccompChild")
	if !strings.Contains(out, "--- PASS: TestIOUringSeccompChild") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
	t.Logf("child: %s", strings.TrimSpace(out))
}

// TestIOUringSeccompChild is the child's half: New("io_uring") fails with
// an error that wraps ErrUnavailable and EPERM and names io_uring_setup;
// epoll keeps working.
func TestIOUringSeccompChild(t *testing.T) {
	if !seccomptest.InChild() {
		t.Skip("runs in the child of TestIOUringUnavailableUnderSeccomp")
	}
	if err := seccomptest.DenyIOUringSetup(); err != nil {
		t.Fatalf("installing the seccomp filter: %v", err)
	}
	p, err := eventpoll.New("io_uring")
	if err == nil {
		p.Close()
		t.Fatal(`New("io_uring") succeeded under a filter that denies io_uring_setup`)
	}
	for _, target := range []error{eventpoll.ErrUnavailable, unix.EPERM} {
		if !errors.Is(err, target) {
			t.Errorf("New error %q does not match %v", err, target)
		}
	}
	if !strings.Contains(err.Error(), "io_uring_setup") {
		t.Errorf("New error %q does not name io_uring_setup", err)
	}
	t.Logf("New(\"io_uring\"): %v", err)
	q, err := eventpoll.New("epoll")
	if err != nil {
		t.Fatalf(`New("epoll") under the filter: %v`, err)
	}
	q.Close()
}
