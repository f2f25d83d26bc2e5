package sim

import (
	"fmt"
	"strings"
	"sync"
)

// tracer records operations when Config.Trace is set.
type tracer struct {
	on    bool
	mu    sync.Mutex
	lines []string
}

// tracef records one operation with the virtual time. (Wait lines name
// their eventpoll's fd, which tells the tasks apart.)
func (k *Kernel) tracef(format string, args ...any) {
	if !k.trace.on {
		return
	}
	prefix := ""
	if k.sched != nil {
		prefix = fmt.Sprintf("%d ", k.sched.now().Microseconds())
	}
	line := prefix + fmt.Sprintf(format, args...)
	k.trace.mu.Lock()
	k.trace.lines = append(k.trace.lines, line)
	k.trace.mu.Unlock()
}

// tracefLocked is tracef for callers holding k.mu.
func (k *Kernel) tracefLocked(format string, args ...any) { k.tracef(format, args...) }

// Trace returns the operations recorded so far, one per line: virtual time
// in microseconds, operation and result (Deterministic mode
// with Config.Trace). Two runs with one seed give the same trace.
func (k *Kernel) Trace() []string {
	k.trace.mu.Lock()
	defer k.trace.mu.Unlock()
	return append([]string(nil), k.trace.lines...)
}

// TraceString is Trace joined with newlines.
func (k *Kernel) TraceString() string { return strings.Join(k.Trace(), "\n") }
