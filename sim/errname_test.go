package sim

import (
	"syscall"
	"testing"
)

func TestErrnoName(t *testing.T) {
	for e, want := range map[syscall.Errno]string{syscall.EAGAIN: "EAGAIN", syscall.ECONNRESET: "ECONNRESET", syscall.EPROTOTYPE: "EPROTOTYPE"} {
		if got := errnoName(e); got != want {
			t.Errorf("errnoName(%d) = %q, want %q", e, got, want)
		}
	}
	if got, want := errnoName(syscall.Errno(1<<20)), syscall.Errno(1<<20).Error(); got != want {
		t.Errorf("errnoName(unknown) = %q, want %q", got, want)
	}
}
