package sim

import (
	"fmt"
	"math/rand"
	"sync"
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
)

// Kernel is a simulated kernel: an fd table, pipes, stream and datagram
// sockets on an in-memory network, eventfd counters, regular files and
// eventpoll, behind the eventpoll.Kernel seam. It is safe for concurrent use.
type Kernel struct {
	cfg Config

	// mu guards the fd table, file reference counts and the network.
	mu      sync.Mutex
	fds     []*file
	lowFree int // no free slot below it
	open    int
	nextID  uint64
	net     network

	// epmu is the kernel's epmutex: it serializes loop checks of nested
	// eventpolls with the removal of items when files are released.
	epmu sync.Mutex
	// kqs are the kqueues, whose knotes on an fd go when it is closed.
	kqs kqRegistry

	rngMu sync.Mutex
	rng   *rand.Rand

	sched *scheduler // nil unless Deterministic
	trace tracer
}

var _ ep.Kernel = (*Kernel)(nil)

// New returns a simulated kernel configured by cfg.
func New(cfg Config) *Kernel {
	cfg = cfg.withDefaults()
	k := &Kernel{cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed))}
	k.net.init()
	if cfg.Deterministic {
		k.sched = newScheduler(k)
	}
	k.trace.on = cfg.Trace
	return k
}

// Config returns the configuration the kernel runs with (defaults filled in).
func (k *Kernel) Config() Config { return k.cfg }

// Now returns the virtual clock in Deterministic mode and the real clock
// otherwise.
func (k *Kernel) Now() time.Time {
	if k.sched != nil {
		return k.cfg.Start.Add(k.sched.now())
	}
	return time.Now()
}

// OpenFDs returns how many descriptors are open (for leak checks).
func (k *Kernel) OpenFDs() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.open
}

// newFile makes a file for ops with no descriptor yet.
func (k *Kernel) newFile(ops fileOps) *file {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.nextID++
	return &file{k: k, id: k.nextID, ops: ops}
}

// install gives f the lowest free descriptor (get_unused_fd + fd_install).
// It takes over the caller's reference.
func (k *Kernel) install(f *file) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.installLocked(f)
}

func (k *Kernel) installLocked(f *file) (int, error) {
	if k.open >= k.cfg.MaxFDs {
		return -1, syscall.EMFILE
	}
	fd := k.lowFree
	for fd < len(k.fds) && k.fds[fd] != nil {
		fd++
	}
	if fd == len(k.fds) {
		k.fds = append(k.fds, nil)
	}
	k.fds[fd] = f
	if f.refs == 0 {
		f.refs = 1
	}
	k.open++
	k.lowFree = fd + 1
	return fd, nil
}

// installNew wraps ops in a new file and installs it; on EMFILE the file
// is released.
func (k *Kernel) installNew(ops fileOps) (int, *file, error) {
	f := k.newFile(ops)
	fd, err := k.install(f)
	if err != nil {
		f.ops.release()
		return -1, nil, err
	}
	return fd, f, nil
}

// installPair installs two new files at once (pipe, socketpair).
func (k *Kernel) installPair(a, b fileOps) (int, int, error) {
	fa, fb := k.newFile(a), k.newFile(b)
	k.mu.Lock()
	if k.open+2 > k.cfg.MaxFDs {
		k.mu.Unlock()
		a.release()
		b.release()
		return -1, -1, syscall.EMFILE
	}
	x, _ := k.installLocked(fa)
	y, _ := k.installLocked(fb)
	k.mu.Unlock()
	return x, y, nil
}

// get is fget: the file behind fd with one more reference; put drops it.
func (k *Kernel) get(fd int) (*file, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if fd < 0 || fd >= len(k.fds) || k.fds[fd] == nil {
		return nil, syscall.EBADF
	}
	f := k.fds[fd]
	f.refs++
	return f, nil
}

// put is fput: drop a reference; the last one releases the file.
func (k *Kernel) put(f *file) {
	k.mu.Lock()
	f.refs--
	last := f.refs == 0
	k.mu.Unlock()
	if last {
		f.release()
	}
}

// Close closes fd. The open file goes when its last descriptor does.
func (k *Kernel) Close(fd int) error {
	// knote_fdclose runs before any kevent can register on the number again.
	k.kqs.closing.Lock()
	k.mu.Lock()
	if fd < 0 || fd >= len(k.fds) || k.fds[fd] == nil {
		k.mu.Unlock()
		k.kqs.closing.Unlock()
		if k.trace.on {
			k.tracef("close %d: EBADF", fd)
		}
		return syscall.EBADF
	}
	f := k.fds[fd]
	k.fds[fd] = nil
	k.open--
	if fd < k.lowFree {
		k.lowFree = fd
	}
	k.mu.Unlock()
	if k.trace.on {
		k.tracef("close %d", fd)
	}
	k.kqs.fdclose(fd)
	k.kqs.closing.Unlock()
	k.put(f)
	if k.fault(k.cfg.Faults.Interrupt, fd) {
		k.tracefFault("close", fd, "EINTR")
		return syscall.EINTR
	}
	return nil
}

// Dup duplicates fd onto the lowest free descriptor; both share one file.
func (k *Kernel) Dup(fd int) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if fd < 0 || fd >= len(k.fds) || k.fds[fd] == nil {
		return -1, syscall.EBADF
	}
	f := k.fds[fd]
	f.refs++
	nfd, err := k.installLocked(f)
	if err != nil {
		f.refs--
		return -1, err
	}
	if k.trace.on {
		k.tracefLocked("dup %d = %d", fd, nfd)
	}
	return nfd, nil
}

// Read reads from fd into p; 0 with a nil error is end of file.
func (k *Kernel) Read(fd int, p []byte) (int, error) {
	f, err := k.get(fd)
	if err != nil {
		return 0, err
	}
	defer k.put(f)
	r, ok := f.ops.(reader)
	if !ok {
		return 0, syscall.EINVAL
	}
	if err := k.ioFault(fd, f, false); err != nil {
		return 0, err
	}
	short := false
	if _, ok := f.ops.(stream); ok {
		if lim := k.shortLen(len(p)); lim < len(p) {
			p, short = p[:lim], true
		}
	}
	n, err := r.read(p)
	if k.trace.on {
		k.tracef("read %d %d = %d %v", fd, len(p), n, errName(err))
	}
	if short && n == len(p) {
		// Bytes may be left: on Linux a read returns short only when the
		// queue ran dry, and what arrives later raises a new edge.
		k.rewake(f, ep.Readable)
	}
	return n, err
}

// Write writes p to fd. Writes to a reset or closed peer fail with EPIPE or
// ECONNRESET; there are no signals.
func (k *Kernel) Write(fd int, p []byte) (int, error) {
	var one [1][]byte
	one[0] = p
	return k.Writev(fd, one[:])
}

// Writev writes the buffers in order with one call (gather write).
func (k *Kernel) Writev(fd int, bufs [][]byte) (int, error) {
	f, err := k.get(fd)
	if err != nil {
		return 0, err
	}
	defer k.put(f)
	w, ok := f.ops.(writer)
	if !ok {
		return 0, syscall.EINVAL
	}
	if err := k.ioFault(fd, f, true); err != nil {
		return 0, err
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	lim := total
	if _, ok := f.ops.(stream); ok {
		if lim = k.shortLen(total); lim < total {
			bufs = truncate(bufs, lim)
		}
	}
	n, err := w.writev(bufs)
	if k.trace.on {
		k.tracef("write %d %d = %d %v", fd, total, n, errName(err))
	}
	if lim < total && n == lim {
		// Room may be left: as after a short write on Linux, the writer
		// hears of it with a new edge.
		k.rewake(f, ep.Writable)
	}
	return n, err
}

// truncate returns a copy of the buffer list holding only the first n bytes.
func truncate(bufs [][]byte, n int) [][]byte {
	out := make([][]byte, 0, len(bufs))
	for _, b := range bufs {
		if n <= 0 {
			break
		}
		if len(b) > n {
			b = b[:n]
		}
		out = append(out, b)
		n -= len(b)
	}
	return out
}

// shortLen returns n, or with probability ShortIO a smaller length >= 1.
func (k *Kernel) shortLen(n int) int {
	if k.cfg.ShortIO <= 0 || n <= 1 {
		return n
	}
	k.rngMu.Lock()
	defer k.rngMu.Unlock()
	if k.rng.Float64() >= k.cfg.ShortIO {
		return n
	}
	return 1 + k.rng.Intn(n-1)
}

// randIntn draws from the seeded RNG.
func (k *Kernel) randIntn(n int) int {
	k.rngMu.Lock()
	defer k.rngMu.Unlock()
	return k.rng.Intn(n)
}

// Pipe returns the read and write ends of a new pipe.
func (k *Kernel) Pipe() (r, w int, err error) {
	p := newPipe(k.cfg.PipeBuffer)
	r, w, err = k.installPair(&pipeReader{p}, &pipeWriter{p})
	if k.trace.on {
		k.tracef("pipe = %d %d %v", r, w, errName(err))
	}
	return r, w, err
}

// Eventfd returns a new eventfd-like counter: a write of 8 bytes adds to
// it, a read of 8 bytes returns and clears it, it is readable while non-zero.
func (k *Kernel) Eventfd() (int, error) {
	fd, _, err := k.installNew(&eventfd{})
	if k.trace.on {
		k.tracef("eventfd = %d %v", fd, errName(err))
	}
	return fd, err
}

// RegularFile opens an unnamed regular file; epoll refuses it with EPERM.
func (k *Kernel) RegularFile() (int, error) {
	fd, _, err := k.installNew(&regularFile{})
	return fd, err
}

// ReserveFD opens a placeholder descriptor (like /dev/null) that holds one
// slot of the fd table.
func (k *Kernel) ReserveFD() (int, error) {
	fd, _, err := k.installNew(&nullFile{})
	if k.trace.on {
		k.tracef("reserve = %d %v", fd, errName(err))
	}
	return fd, err
}

// NewPoller creates an eventpoll-backed Poller ("", "epoll" and "sim" all
// name it) or, for "kqueue", eventpoll's kqueue backend over the simulated
// kqueue (not in Deterministic mode). "kqueue-openbsd" and "kqueue-netbsd"
// are that backend over a simulated kqueue that lacks what those systems'
// kqueue lacks through golang.org/x/sys/unix (EVFILT_USER; on NetBSD also
// EV_RECEIPT and EV_DISPATCH), so that the workarounds run here.
func (k *Kernel) NewPoller(backend string) (ep.Poller, error) {
	switch backend {
	case "", "epoll", "sim":
	case "kqueue":
		return k.newKqueuePoller(0)
	default:
		if lacks, ok := kqueueLacks[backend]; ok {
			return k.newKqueuePoller(lacks)
		}
		return nil, fmt.Errorf("%w %q (sim has \"sim\", also called \"epoll\", \"kqueue\", \"kqueue-openbsd\" and \"kqueue-netbsd\")", ep.ErrUnknownBackend, backend)
	}
	return k.newPoller()
}

// errName renders an error for the trace.
func errName(err error) string {
	if err == nil {
		return "ok"
	}
	if e, ok := err.(syscall.Errno); ok {
		return errnoName(e)
	}
	return err.Error()
}

// Watchers returns how many eventpoll items watch fd's open file (0 for a
// closed fd). Tests use it to see that a registration is in place.
func (k *Kernel) Watchers(fd int) int {
	f, err := k.get(fd)
	if err != nil {
		return 0
	}
	defer k.put(f)
	return len(f.items())
}
