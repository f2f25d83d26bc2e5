//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package eventpoll

import (
	"sync"
	"syscall"
	"time"

	"github.com/eventpoll/eventpoll/kevent"
	"golang.org/x/sys/unix"
)

// This file is the kqueue backend's system call: kqueue(2) and kevent(2)
// through x/sys/unix, translating kevent.Event to and from each system's
// struct kevent (whose field widths and EVFILT_USER number differ per OS:
// unix.SetKevent converts ident, filter and flags; fflags and data are
// uint32 and int64 everywhere). The backend itself is kqueue.go.

// hostKqueue is the kernel's kqueue as a kevent.System.
type hostKqueue struct {
	// mu guards probe, a private kqueue in which HungUp looks at both
	// filters of an fd without disturbing the caller's kqueues.
	mu    sync.Mutex
	probe int
}

var hostKqueueSystem = &hostKqueue{probe: -1}

var (
	_ kevent.Limited = hostKqueueSystem
	_ kevent.Pipes   = hostKqueueSystem
)

func init() { Register("kqueue", newHostKqueue) }

func newHostKqueue() (Poller, error) { return NewKqueue(hostKqueueSystem) }

// Lacks is what x/sys/unix does not give the backend on this system
// (kqueue_features_*.go).
func (h *hostKqueue) Lacks() kevent.Lack { return hostLacks }

// Pipe is a non-blocking, close-on-exec pipe, for Wake where the system
// lacks EVFILT_USER.
func (h *hostKqueue) Pipe() (r, w int, err error) { return portableCalls.pipe() }

// Read is read(2).
func (h *hostKqueue) Read(fd int, p []byte) (int, error) { return unix.Read(fd, p) }

// Write is write(2).
func (h *hostKqueue) Write(fd int, p []byte) (int, error) { return unix.Write(fd, p) }

// Close is close(2).
func (h *hostKqueue) Close(fd int) error { return unix.Close(fd) }

// hostKeventBuf holds one call's translated lists.
type hostKeventBuf struct {
	ch [8]unix.Kevent_t
	ev [kqueueBatch]unix.Kevent_t
}

var hostKeventBufs = sync.Pool{New: func() any { return new(hostKeventBuf) }}

// Kqueue creates a close-on-exec kqueue.
func (h *hostKqueue) Kqueue() (kevent.Queue, error) {
	fd, err := newHostKqueueFD()
	if err != nil {
		return nil, err
	}
	return &hostQueue{fd: fd}, nil
}

func newHostKqueueFD() (int, error) {
	for {
		fd, err := unix.Kqueue()
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, err
		}
		unix.CloseOnExec(fd)
		return fd, nil
	}
}

// Describe is fstat(2): a socket, a regular file (or directory), or other;
// the identity is (st_dev, st_ino).
func (h *hostKqueue) Describe(fd int) (kevent.FD, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstat(fd, &st)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return kevent.FD{}, err
		}
		break
	}
	d := kevent.FD{ID: [2]uint64{uint64(st.Dev), uint64(st.Ino)}}
	switch uint32(st.Mode) & unix.S_IFMT {
	case unix.S_IFSOCK:
		d.Kind = kevent.Socket
	case unix.S_IFREG, unix.S_IFDIR:
		d.Kind = kevent.Regular
	}
	return d, nil
}

// HungUp adds one-shot read and write knotes for fd to the private probe
// kqueue and looks at them without waiting: both at EV_EOF is a socket
// shut down in both directions (poll(2) on macOS may already report
// POLLHUP for a peer's FIN alone, so it is not asked). Knotes that did not
// fire are deleted again.
func (h *hostKqueue) HungUp(fd int) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.probe < 0 {
		kq, err := newHostKqueueFD()
		if err != nil {
			return false, err
		}
		h.probe = kq
	}
	var ch, out [2]unix.Kevent_t
	unix.SetKevent(&ch[0], fd, unix.EVFILT_READ, unix.EV_ADD|unix.EV_ONESHOT)
	unix.SetKevent(&ch[1], fd, unix.EVFILT_WRITE, unix.EV_ADD|unix.EV_ONESHOT)
	var zero unix.Timespec
	n, err := unix.Kevent(h.probe, ch[:], out[:], &zero)
	if err != nil {
		return false, err
	}
	eofR, eofW, firedR, firedW := false, false, false, false
	for i := range n {
		if int(out[i].Flags)&unix.EV_ERROR != 0 {
			continue // a filter the fd does not support
		}
		eof := int(out[i].Flags)&unix.EV_EOF != 0
		switch int(out[i].Filter) {
		case unix.EVFILT_READ:
			firedR, eofR = true, eof
		case unix.EVFILT_WRITE:
			firedW, eofW = true, eof
		}
	}
	m := 0
	if !firedR {
		unix.SetKevent(&ch[m], fd, unix.EVFILT_READ, unix.EV_DELETE)
		m++
	}
	if !firedW {
		unix.SetKevent(&ch[m], fd, unix.EVFILT_WRITE, unix.EV_DELETE)
		m++
	}
	if m > 0 {
		unix.Kevent(h.probe, ch[:m], out[:m], &zero) // errors come back as entries; ENOENT is fine
	}
	return eofR && eofW, nil
}

// hostQueue is one kqueue descriptor.
type hostQueue struct{ fd int }

// Kevent is kevent(2) with translated lists; a negative timeout blocks.
func (q *hostQueue) Kevent(changes, events []kevent.Event, timeout time.Duration) (int, error) {
	b := hostKeventBufs.Get().(*hostKeventBuf)
	defer hostKeventBufs.Put(b)
	cs := b.ch[:0]
	if len(changes) > len(b.ch) {
		cs = make([]unix.Kevent_t, 0, len(changes))
	}
	for _, c := range changes {
		var k unix.Kevent_t
		if err := toHostKevent(&k, c); err != nil {
			return 0, err
		}
		cs = append(cs, k)
	}
	es := b.ev[:min(len(events), len(b.ev))]
	if len(events) > len(b.ev) {
		es = make([]unix.Kevent_t, len(events))
	}
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(int64(timeout))
		ts = &t
	}
	n, err := unix.Kevent(q.fd, cs, es, ts)
	if err != nil {
		return 0, err
	}
	for i := range n {
		events[i] = fromHostKevent(&es[i])
	}
	return n, nil
}

// Close closes the kqueue descriptor.
func (q *hostQueue) Close() error { return unix.Close(q.fd) }

// hostFlags pairs each kevent flag with the system's.
var hostFlags = [...]struct {
	own  uint16
	host int
}{
	{kevent.Add, unix.EV_ADD},
	{kevent.Delete, unix.EV_DELETE},
	{kevent.Enable, unix.EV_ENABLE},
	{kevent.Disable, unix.EV_DISABLE},
	{kevent.OneShot, unix.EV_ONESHOT},
	{kevent.Clear, unix.EV_CLEAR},
	{kevent.Receipt, hostEVReceipt},
	{kevent.Dispatch, hostEVDispatch},
	{kevent.Error, unix.EV_ERROR},
	{kevent.EOF, unix.EV_EOF},
}

func toHostKevent(k *unix.Kevent_t, e kevent.Event) error {
	var filter int
	switch e.Filter {
	case kevent.FilterRead:
		filter = unix.EVFILT_READ
	case kevent.FilterWrite:
		filter = unix.EVFILT_WRITE
	case kevent.FilterUser:
		if !hostHasUserFilter {
			return syscall.EINVAL
		}
		filter = hostEVFiltUser
	default:
		return syscall.EINVAL
	}
	flags := 0
	for _, f := range hostFlags {
		if e.Flags&f.own != 0 {
			if f.host == 0 {
				return syscall.EINVAL
			}
			flags |= f.host
		}
	}
	unix.SetKevent(k, int(e.Ident), filter, flags)
	k.Fflags = 0
	if e.Fflags&kevent.NoteTrigger != 0 {
		k.Fflags = hostNoteTrigger
	}
	k.Data = e.Data
	return nil
}

func fromHostKevent(k *unix.Kevent_t) kevent.Event {
	e := kevent.Event{Ident: uint64(k.Ident), Fflags: k.Fflags, Data: k.Data}
	switch int(k.Filter) {
	case unix.EVFILT_READ:
		e.Filter = kevent.FilterRead
	case unix.EVFILT_WRITE:
		e.Filter = kevent.FilterWrite
	default:
		if hostHasUserFilter && int(k.Filter) == hostEVFiltUser {
			e.Filter = kevent.FilterUser
			e.Fflags = 0
		}
	}
	for _, f := range hostFlags {
		if f.host != 0 && int(k.Flags)&f.host != 0 {
			e.Flags |= f.own
		}
	}
	return e
}
