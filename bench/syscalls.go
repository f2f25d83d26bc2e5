package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// syscallCounter counts one process's system calls with perf on the
// raw_syscalls:sys_enter tracepoint (every system call entry, io_uring_enter
// included) while a run lasts.
type syscallCounter struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

// startSyscallCount attaches perf to pid. It fails when perf is missing or
// the tracepoint cannot be read (then the column stays empty).
func startSyscallCount(pid int) (*syscallCounter, error) {
	if _, err := exec.LookPath("perf"); err != nil {
		return nil, err
	}
	sc := &syscallCounter{}
	sc.cmd = exec.Command("perf", "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p", strconv.Itoa(pid))
	sc.cmd.Stderr = &sc.out
	if err := sc.cmd.Start(); err != nil {
		return nil, err
	}
	time.Sleep(50 * time.Millisecond) // let perf attach before the run starts
	return sc, nil
}

// stop ends the count and returns the number of system calls seen.
func (sc *syscallCounter) stop() (int64, error) {
	sc.cmd.Process.Signal(syscall.SIGINT)
	sc.cmd.Wait()
	for _, line := range strings.Split(sc.out.String(), "\n") {
		f := strings.Split(line, ",")
		if len(f) >= 3 && strings.Contains(line, "raw_syscalls:sys_enter") {
			n, err := strconv.ParseInt(strings.TrimSpace(f[0]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("perf: %q", line)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("perf: no count in %q", sc.out.String())
}
