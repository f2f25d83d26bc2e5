package eventpoll

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Poller watches a set of file descriptors and reports which are ready.
//
// The interest list is registered once with Add and changed with Modify and
// Delete; Wait returns only what is ready. All methods are safe to call from
// any goroutine, including while another goroutine is blocked in Wait: an Add
// of a ready fd wakes that Wait, and after Delete returns no later Wait
// reports the fd.
type Poller interface {
	// Add registers fd with the conditions and modes in events and the data
	// that Wait will return for it. Error and Hangup are always reported.
	// An fd registered twice fails with unix.EEXIST.
	Add(fd int, events Events, data uint64) error
	// Modify replaces the conditions, modes and data of a registered fd and
	// re-checks its readiness at once: a still-ready fd is reported again, and
	// a disabled OneShot registration is re-armed. Unregistered: unix.ENOENT.
	Modify(fd int, events Events, data uint64) error
	// Delete removes fd from the interest list. Unregistered: unix.ENOENT.
	// Delete before closing an fd.
	Delete(fd int) error
	// Wait fills events with ready fds and returns how many. A negative
	// timeout waits until something is ready or Wake is called; zero returns
	// at once; a positive timeout is rounded up to a millisecond and Wait
	// returns no earlier than it, with n == 0, if nothing becomes ready.
	// len(events) must be > 0 (else unix.EINVAL). When more fds are ready
	// than fit, successive Waits rotate through all of them.
	Wait(events []Event, timeout time.Duration) (n int, err error)
	// Wake makes one blocked or the next Wait return, possibly with n == 0.
	// Many Wakes before that Wait cost one system call and cause one return.
	Wake() error
	// Close releases the poller; Waits in progress return ErrClosed. It does
	// not close the registered fds.
	Close() error
	// Backend names the mechanism: "epoll", "poll", "select" or another.
	Backend() string
}

// Factory creates a Poller.
type Factory func() (Poller, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a backend available to New under name. Backends of this
// package register themselves; Register lets other packages add their own.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[name] = f
}

// Backends lists the registered backend names, sorted, with the default first.
func Backends() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	if i := slices.Index(names, DefaultBackend); i > 0 {
		names = slices.Delete(names, i, i+1)
		names = slices.Insert(names, 0, DefaultBackend)
	}
	return names
}

// New creates a Poller with the named backend ("epoll", "poll", "select" on
// Linux; "" means DefaultBackend). Where the host kernel is not supported
// (see README's platform table) the error also wraps ErrHostUnsupported.
func New(backend string) (Poller, error) {
	if backend == "" {
		backend = DefaultBackend
	}
	registryMu.RLock()
	f := registry[backend]
	registryMu.RUnlock()
	if f == nil {
		if hostErr != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrUnknownBackend, backend, hostErr)
		}
		return nil, fmt.Errorf("%w %q (have %v)", ErrUnknownBackend, backend, Backends())
	}
	return f()
}
