package sim

import (
	"errors"
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/kevent"
)

// kqSystem is the simulated kernel as a kevent.System: the kqueue backend
// of package eventpoll runs over it (NewPoller("kqueue")).
type kqSystem struct{ k *Kernel }

var _ kevent.System = kqSystem{}

// kqLimited is the simulated kernel as a kevent.System that lacks features,
// as the kqueue of OpenBSD (no EVFILT_USER) and NetBSD (nor EV_RECEIPT, nor
// EV_DISPATCH) are reached through golang.org/x/sys/unix: its kevent
// refuses a change that uses what it lacks with EINVAL, as the host
// translation does, and it offers the pipes the backend then wakes with
// (NewPoller("kqueue-openbsd"), NewPoller("kqueue-netbsd")).
type kqLimited struct {
	kqSystem
	lacks kevent.Lack
}

var (
	_ kevent.Limited = kqLimited{}
	_ kevent.Pipes   = kqLimited{}
)

// kqueueLacks names the limited variants of the sim's kqueue.
var kqueueLacks = map[string]kevent.Lack{
	"kqueue-openbsd": kevent.LackUser,
	"kqueue-netbsd":  kevent.LackUser | kevent.LackReceipt | kevent.LackDispatch,
}

// Lacks implements kevent.Limited.
func (s kqLimited) Lacks() kevent.Lack { return s.lacks }

// Kqueue is kqueue(2) whose kevent refuses what the system lacks.
func (s kqLimited) Kqueue() (kevent.Queue, error) {
	q, err := s.kqSystem.Kqueue()
	if err != nil {
		return nil, err
	}
	return limitedQueue{q.(*kqQueue), s.lacks}, nil
}

// Pipe is pipe2(2) with O_NONBLOCK|O_CLOEXEC (the sim's descriptors never
// block and there is no exec).
func (s kqLimited) Pipe() (r, w int, err error) { return s.k.Pipe() }

// Read is read(2).
func (s kqLimited) Read(fd int, p []byte) (int, error) { return s.k.Read(fd, p) }

// Write is write(2).
func (s kqLimited) Write(fd int, p []byte) (int, error) { return s.k.Write(fd, p) }

// Close is close(2).
func (s kqLimited) Close(fd int) error { return s.k.Close(fd) }

// limitedQueue is a kqueue whose kevent refuses changes that use what the
// system lacks, before making any of them.
type limitedQueue struct {
	*kqQueue
	lacks kevent.Lack
}

// Kevent is kevent(2) with EINVAL for a change that uses a lacking feature.
func (q limitedQueue) Kevent(changes, events []kevent.Event, timeout time.Duration) (int, error) {
	for _, c := range changes {
		if (q.lacks&kevent.LackUser != 0 && c.Filter == kevent.FilterUser) ||
			(q.lacks&kevent.LackReceipt != 0 && c.Flags&kevent.Receipt != 0) ||
			(q.lacks&kevent.LackDispatch != 0 && c.Flags&kevent.Dispatch != 0) {
			return 0, syscall.EINVAL
		}
	}
	return q.kqQueue.Kevent(changes, events, timeout)
}

// errKqueueDeterministic: the kqueue sleeps on the real clock.
var errKqueueDeterministic = errors.New("sim: the kqueue backend is not available in Deterministic mode (its waits use the real clock)")

// newKqueuePoller creates the kqueue backend over k, lacking what lacks
// names.
func (k *Kernel) newKqueuePoller(lacks kevent.Lack) (ep.Poller, error) {
	if k.sched != nil {
		return nil, ep.NewOpError("kqueue", "new", -1, errKqueueDeterministic)
	}
	if lacks != 0 {
		return ep.NewKqueue(kqLimited{kqSystem{k}, lacks})
	}
	return ep.NewKqueue(kqSystem{k})
}

// Kqueue is kqueue(2): a new kqueue in the fd table.
func (s kqSystem) Kqueue() (kevent.Queue, error) {
	kq := newKqueue(s.k)
	fd, f, err := s.k.installNew(kq)
	if err != nil {
		return nil, err
	}
	kq.file = f
	s.k.kqs.add(kq)
	if s.k.trace.on {
		s.k.tracef("kqueue = %d", fd)
	}
	return &kqQueue{k: s.k, fd: fd, kq: kq}, nil
}

// Describe is fstat: the kind of file behind fd and its identity.
func (s kqSystem) Describe(fd int) (kevent.FD, error) {
	f, err := s.k.get(fd)
	if err != nil {
		return kevent.FD{}, err
	}
	defer s.k.put(f)
	d := kevent.FD{ID: [2]uint64{f.id, 0}}
	switch f.ops.(type) {
	case *sock, *dgram:
		d.Kind = kevent.Socket
	case *regularFile:
		d.Kind = kevent.Regular
	}
	return d, nil
}

// HungUp is poll(2)'s POLLHUP on fd.
func (s kqSystem) HungUp(fd int) (bool, error) {
	f, err := s.k.get(fd)
	if err != nil {
		return false, err
	}
	defer s.k.put(f)
	p, ok := f.ops.(pollable)
	return ok && p.poll(nil)&ep.Hangup != 0, nil
}

// kqQueue is one kqueue reached through its descriptor, as kevent(2) does.
type kqQueue struct {
	k  *Kernel
	fd int
	kq *kqueue
}

// Kevent is kevent(2): EBADF once the descriptor is closed.
func (q *kqQueue) Kevent(changes, events []kevent.Event, timeout time.Duration) (int, error) {
	f, err := q.k.get(q.fd)
	if err != nil {
		return 0, err
	}
	defer q.k.put(f)
	if f.ops != fileOps(q.kq) {
		return 0, syscall.EBADF
	}
	n, err := q.kq.kevent(changes, events, timeout)
	if q.k.trace.on {
		q.k.tracef("kevent %d %d/%d = %d %v", q.fd, len(changes), len(events), n, errName(err))
	}
	return n, err
}

// Close closes the kqueue's descriptor.
func (q *kqQueue) Close() error { return q.k.Close(q.fd) }
