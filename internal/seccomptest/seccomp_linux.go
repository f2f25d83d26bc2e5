package seccomptest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DenyIOUringSetup installs, on every thread of the process, a seccomp
// filter under which io_uring_setup(2) fails with EPERM and every other
// system call is allowed. It sets no_new_privs first (needed without
// CAP_SYS_ADMIN). It cannot be undone: call it in a child process.
func DenyIOUringSetup() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	const (
		ldAbsW = 0x20 // BPF_LD | BPF_W | BPF_ABS
		jeqK   = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
		retK   = 0x06 // BPF_RET | BPF_K
	)
	// struct seccomp_data starts with the system call number (int nr).
	filter := []unix.SockFilter{
		{Code: ldAbsW, K: 0},
		{Code: jeqK, Jt: 0, Jf: 1, K: unix.SYS_IO_URING_SETUP},
		{Code: retK, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: retK, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): %w", errno)
	}
	return nil
}

// childEnv marks the re-executed test binary.
const childEnv = "EVENTPOLL_SECCOMP_CHILD"

// InChild reports whether this process is the child RunChild started.
func InChild() bool { return os.Getenv(childEnv) == "1" }

// RunChild re-executes the test binary to run only the test named name,
// with InChild true there, and fails t unless that test passes. It returns
// the child's output.
func RunChild(t *testing.T, name string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	return string(out)
}
