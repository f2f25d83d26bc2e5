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

// errKqueueDeterministic: the kqueue sleeps on the real clock.
var errKqueueDeterministic = errors.New("sim: the kqueue backend is not available in Deterministic mode (its waits use the real clock)")

// newKqueuePoller creates the kqueue backend over k.
func (k *Kernel) newKqueuePoller() (ep.Poller, error) {
	if k.sched != nil {
		return nil, ep.NewOpError("kqueue", "new", -1, errKqueueDeterministic)
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
