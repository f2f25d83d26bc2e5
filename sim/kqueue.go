package sim

import (
	"sync"
	"syscall"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/kevent"
)

// kqueue is kqueue(2) in user space, after FreeBSD's sys/kern/kern_event.c
// and the kqueue(2) manual of FreeBSD and macOS:
//
//   - A knote per (ident, filter): EVFILT_READ and EVFILT_WRITE on an fd,
//     EVFILT_USER on a number of the caller's choice.
//   - kevent applies the changelist in order (EV_ADD, EV_DELETE, EV_ENABLE,
//     EV_DISABLE, with EV_CLEAR, EV_ONESHOT, EV_DISPATCH fixed when the
//     knote is created, as FreeBSD does). A change that fails, or any change
//     with EV_RECEIPT, yields an EV_ERROR entry in the eventlist (data: the
//     errno, 0 on success); when entries were written the call returns them
//     without scanning for events. A failed change with no room left fails
//     the call with its errno.
//   - A knote hooks into its file's wait queue; a wake-up that concerns its
//     filter marks it active and queues it (unless disabled) and wakes every
//     waiter. The scan re-evaluates the filter (f_event) and drops knotes
//     that are no longer ready; it returns a level-triggered knote to the
//     tail of the queue, clears an EV_CLEAR one, disables an EV_DISPATCH one
//     and deletes an EV_ONESHOT one.
//   - Closing an fd drops every knote on that fd number in every kqueue
//     (knote_fdclose), even if other descriptors of the file stay open.
//   - EVFILT_USER is active from NOTE_TRIGGER until it is returned with
//     EV_CLEAR (for ever without).
//
// Locks: mtx serializes changes, scans and drops; lock guards the queue,
// the knotes' status and the waiters and is the only one a wake-up callback
// takes. Filters are evaluated (they take the file's lock) with mtx held and
// lock not held.
type kqueue struct {
	k    *Kernel
	file *file

	mtx    sync.Mutex
	knotes map[knoteKey]*knote

	lock   sync.Mutex
	head   *knote
	tail   *knote
	count  int
	wq     []*waiter
	closed bool

	selWait waitQueue // those polling the kqueue fd itself
}

type knoteKey struct {
	ident  uint64
	filter int16
}

// knote is struct knote: one (ident, filter) in one kqueue.
type knote struct {
	kq      *kqueue
	key     knoteKey
	file    *file  // fd filters: the file the fd named at EV_ADD
	flags   uint16 // EV_CLEAR, EV_ONESHOT, EV_DISPATCH as created
	sfflags uint32
	sdata   int64
	nop     bool // a filter the file does not support: accepted, never fires
	hooks   []*kqHook

	// Guarded by kq.lock.
	active    bool
	queued    bool
	disabled  bool
	dead      bool
	triggered bool // EVFILT_USER
	prev      *knote
	next      *knote
}

// kqHook is a knote's entry in one wait queue of its file.
type kqHook struct {
	whead *waitQueue
	wait  waitEntry
}

// kfState is what a filter's f_event computes.
type kfState struct {
	active bool
	data   int64
	eof    bool
	fflags uint32
}

func newKqueue(k *Kernel) *kqueue {
	return &kqueue{k: k, knotes: make(map[knoteKey]*knote)}
}

// enqueueLocked puts kn at the tail of the queue; lock held.
func (kq *kqueue) enqueueLocked(kn *knote) {
	kn.prev, kn.next = kq.tail, nil
	if kq.tail != nil {
		kq.tail.next = kn
	} else {
		kq.head = kn
	}
	kq.tail = kn
	kn.queued = true
	kq.count++
}

// dequeueLocked removes kn from the queue; lock held.
func (kq *kqueue) dequeueLocked(kn *knote) {
	if kn.prev != nil {
		kn.prev.next = kn.next
	} else {
		kq.head = kn.next
	}
	if kn.next != nil {
		kn.next.prev = kn.prev
	} else {
		kq.tail = kn.prev
	}
	kn.prev, kn.next = nil, nil
	kn.queued = false
	kq.count--
}

// wakeAllLocked wakes every thread sleeping in kevent (kqueue_wakeup).
func (kq *kqueue) wakeAllLocked() {
	for _, w := range kq.wq {
		w.signal()
	}
	kq.wq = kq.wq[:0]
}

// activate is KNOTE_ACTIVATE: mark kn active and queue it unless it is
// disabled or queued already. It reports whether kn was queued now.
func (kq *kqueue) activateLocked(kn *knote) bool {
	kn.active = true
	if kn.dead || kn.disabled || kn.queued {
		return false
	}
	kq.enqueueLocked(kn)
	kq.wakeAllLocked()
	return true
}

// callback is the knote's function in its file's wait queue.
func (kq *kqueue) callback(kn *knote, key ep.Events) bool {
	interest := readableMask
	if kn.key.filter == kevent.FilterWrite {
		interest = writableMask
	}
	if key != 0 && key&interest == 0 {
		return false
	}
	kq.lock.Lock()
	queued := kq.activateLocked(kn)
	kq.lock.Unlock()
	if queued {
		kq.selWait.wake(ep.Readable)
	}
	return false
}

// kevent is kevent(2) on this kqueue.
func (kq *kqueue) kevent(changes, events []kevent.Event, timeout time.Duration) (int, error) {
	n := 0
	for _, ch := range changes {
		err := kq.register(ch)
		if err == nil && ch.Flags&kevent.Receipt == 0 {
			continue
		}
		if n == len(events) {
			if err != nil {
				return 0, err
			}
			return n, nil
		}
		var errno syscall.Errno
		if err != nil {
			errno = err.(syscall.Errno)
		}
		events[n] = kevent.Event{Ident: ch.Ident, Filter: ch.Filter, Flags: kevent.Error, Fflags: ch.Fflags, Data: int64(errno)}
		n++
	}
	if n > 0 || len(events) == 0 {
		return n, nil
	}
	return kq.scan(events, timeout)
}

// register is kqueue_register: one change.
func (kq *kqueue) register(ch kevent.Event) error {
	isFD := false
	switch ch.Filter {
	case kevent.FilterRead, kevent.FilterWrite:
		isFD = true
	case kevent.FilterUser:
	default:
		return syscall.EINVAL
	}
	var f *file
	if isFD {
		if ch.Ident > 1<<31-1 {
			return syscall.EBADF
		}
		// No Close of the fd between the lookup and the attach (FreeBSD
		// holds the filedesc lock): its knote_fdclose would miss the knote,
		// or drop one made for the next file under that number.
		kq.k.kqs.closing.RLock()
		defer kq.k.kqs.closing.RUnlock()
		var err error
		f, err = kq.k.get(int(ch.Ident))
		if err != nil {
			return err
		}
		defer kq.k.put(f)
	}
	kq.mtx.Lock()
	defer kq.mtx.Unlock()
	kq.lock.Lock()
	closed := kq.closed
	kq.lock.Unlock()
	if closed {
		return syscall.EBADF
	}
	key := knoteKey{ch.Ident, ch.Filter}
	kn := kq.knotes[key]
	if kn == nil {
		if ch.Flags&kevent.Add == 0 {
			return syscall.ENOENT
		}
		kn = &knote{kq: kq, key: key, file: f, flags: ch.Flags & (kevent.Clear | kevent.OneShot | kevent.Dispatch),
			sfflags: ch.Fflags &^ kevent.NoteTrigger, sdata: ch.Data}
		if isFD {
			if err := kq.attach(kn, f); err != nil {
				return err
			}
		}
		kq.knotes[key] = kn
	} else if ch.Flags&kevent.Delete != 0 {
		kq.drop(kn)
		return nil
	} else if ch.Flags&kevent.Add != 0 && ch.Filter != kevent.FilterUser {
		kn.sfflags, kn.sdata = ch.Fflags, ch.Data
	}
	kq.lock.Lock()
	if ch.Filter == kevent.FilterUser && ch.Fflags&kevent.NoteTrigger != 0 {
		kn.triggered = true
	}
	if ch.Flags&kevent.Disable != 0 {
		kn.disabled = true
		if kn.queued {
			kq.dequeueLocked(kn)
		}
	}
	if ch.Flags&kevent.Enable != 0 {
		kn.disabled = false
	}
	kq.lock.Unlock()
	// Re-check readiness (f_event) and queue the knote if it is ready.
	st := kq.event(kn)
	kq.lock.Lock()
	queued := false
	if st.active {
		queued = kq.activateLocked(kn)
	}
	kq.lock.Unlock()
	if queued {
		kq.selWait.wake(ep.Readable)
	}
	return nil
}

// attach is f_attach: hook kn into f's wait queue through f's poll method,
// or refuse the filter. mtx held.
func (kq *kqueue) attach(kn *knote, f *file) error {
	switch o := f.ops.(type) {
	case *pipeReader:
		if kn.key.filter == kevent.FilterWrite {
			kn.nop = true // the read end of a one-way pipe (FreeBSD: pipe_nfiltops)
			return nil
		}
	case *pipeWriter:
		if kn.key.filter == kevent.FilterRead {
			kn.nop = true
			return nil
		}
		o.p.mu.Lock()
		gone := !o.p.readers
		o.p.mu.Unlock()
		if gone {
			return syscall.EPIPE
		}
	}
	p, ok := f.ops.(pollable)
	if !ok {
		return nil // regular files and /dev/null: always ready, no wait queue
	}
	pt := &pollTable{queue: func(q *waitQueue) {
		h := &kqHook{whead: q}
		h.wait = waitEntry{fn: func(key ep.Events) bool { return kq.callback(kn, key) }}
		kn.hooks = append(kn.hooks, h)
		q.add(&h.wait)
	}}
	p.poll(pt)
	return nil
}

// drop is knote_drop: unhook kn and forget it. mtx held.
func (kq *kqueue) drop(kn *knote) {
	for _, h := range kn.hooks {
		h.whead.remove(&h.wait)
	}
	kn.hooks = nil
	delete(kq.knotes, kn.key)
	kq.lock.Lock()
	kn.dead = true
	if kn.queued {
		kq.dequeueLocked(kn)
	}
	kq.lock.Unlock()
}

// fdclose is knote_fdclose: the knotes on fd go. The caller holds no lock.
func (kq *kqueue) fdclose(fd int) {
	kq.mtx.Lock()
	defer kq.mtx.Unlock()
	for _, filter := range []int16{kevent.FilterRead, kevent.FilterWrite} {
		if kn := kq.knotes[knoteKey{uint64(fd), filter}]; kn != nil {
			kq.drop(kn)
		}
	}
}

// event is f_event: the filter's current state. mtx held, lock not.
func (kq *kqueue) event(kn *knote) kfState {
	if kn.key.filter == kevent.FilterUser {
		kq.lock.Lock()
		defer kq.lock.Unlock()
		return kfState{active: kn.triggered, fflags: kn.sfflags}
	}
	if kn.nop {
		return kfState{}
	}
	if kn.key.filter == kevent.FilterRead {
		return readFilter(kn.file)
	}
	return writeFilter(kn.file)
}

// scan is kqueue_scan: collect up to len(events) active knotes, sleeping
// until one is queued, the timeout passes (negative: never) or the kqueue
// is closed.
func (kq *kqueue) scan(events []kevent.Event, timeout time.Duration) (int, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		kq.mtx.Lock()
		n := kq.collect(events)
		kq.mtx.Unlock()
		if n > 0 || timeout == 0 {
			return n, nil
		}
		var left time.Duration
		if timeout > 0 {
			left = time.Until(deadline)
			if left <= 0 {
				return 0, nil
			}
		}
		w := &waiter{ch: make(chan struct{}, 1)}
		kq.lock.Lock()
		if kq.closed {
			kq.lock.Unlock()
			return 0, syscall.EBADF
		}
		if kq.count > 0 {
			kq.lock.Unlock()
			continue
		}
		kq.wq = append(kq.wq, w)
		kq.lock.Unlock()
		if timeout < 0 {
			<-w.ch
		} else {
			t := time.NewTimer(left)
			select {
			case <-w.ch:
			case <-t.C:
			}
			t.Stop()
		}
		kq.lock.Lock()
		for i, x := range kq.wq {
			if x == w {
				kq.wq = append(kq.wq[:i], kq.wq[i+1:]...)
				break
			}
		}
		kq.lock.Unlock()
	}
}

// collect takes the knotes queued now, once each (FreeBSD puts a marker at
// the tail), re-checking each filter. mtx held.
func (kq *kqueue) collect(events []kevent.Event) int {
	n := 0
	kq.lock.Lock()
	defer kq.lock.Unlock()
	for pending := kq.count; n < len(events) && pending > 0 && kq.head != nil; pending-- {
		kn := kq.head
		kq.dequeueLocked(kn)
		if kn.disabled {
			continue
		}
		kq.lock.Unlock()
		st := kq.event(kn)
		kq.lock.Lock()
		if !st.active {
			kn.active = false
			continue
		}
		ev := kevent.Event{Ident: kn.key.ident, Filter: kn.key.filter, Flags: kn.flags, Fflags: st.fflags, Data: st.data}
		if st.eof {
			ev.Flags |= kevent.EOF
		}
		events[n] = ev
		n++
		switch {
		case kn.flags&kevent.OneShot != 0:
			kq.lock.Unlock()
			kq.drop(kn)
			kq.lock.Lock()
		case kn.flags&(kevent.Clear|kevent.Dispatch) != 0:
			if kn.flags&kevent.Dispatch != 0 {
				kn.disabled = true
			}
			kn.active = false
			kn.triggered = false
		default:
			// Level-triggered: back to the tail, unless a wake-up while
			// the filter ran (lock not held) has queued it already.
			if !kn.queued {
				kq.enqueueLocked(kn)
			}
		}
	}
	return n
}

// poll makes the kqueue fd readable while knotes are queued.
func (kq *kqueue) poll(pt *pollTable) ep.Events {
	pollWait(&kq.selWait, pt)
	kq.lock.Lock()
	defer kq.lock.Unlock()
	if kq.count > 0 {
		return ep.Readable
	}
	return 0
}

// release is kqueue_close: waiters return EBADF, every knote goes.
func (kq *kqueue) release() {
	kq.k.kqs.remove(kq)
	kq.mtx.Lock()
	defer kq.mtx.Unlock()
	kq.lock.Lock()
	kq.closed = true
	kq.wakeAllLocked()
	kq.lock.Unlock()
	for _, kn := range kq.knotes {
		kq.drop(kn)
	}
}

// kqRegistry is the kernel's list of kqueues, for knote_fdclose. Close
// holds closing for writing from freeing the fd's slot to dropping its
// knotes; a change on an fd holds it for reading from looking the fd up to
// attaching the knote.
type kqRegistry struct {
	closing sync.RWMutex
	mu      sync.Mutex
	all     map[*kqueue]struct{}
}

func (r *kqRegistry) add(kq *kqueue) {
	r.mu.Lock()
	if r.all == nil {
		r.all = make(map[*kqueue]struct{})
	}
	r.all[kq] = struct{}{}
	r.mu.Unlock()
}

func (r *kqRegistry) remove(kq *kqueue) {
	r.mu.Lock()
	delete(r.all, kq)
	r.mu.Unlock()
}

// fdclose drops the knotes on fd in every kqueue.
func (r *kqRegistry) fdclose(fd int) {
	r.mu.Lock()
	if len(r.all) == 0 {
		r.mu.Unlock()
		return
	}
	kqs := make([]*kqueue, 0, len(r.all))
	for kq := range r.all {
		kqs = append(kqs, kq)
	}
	r.mu.Unlock()
	for _, kq := range kqs {
		kq.fdclose(fd)
	}
}
