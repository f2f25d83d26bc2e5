package sim

import (
	"sync"
	"syscall"

	ep "github.com/eventpoll/eventpoll"
)

// epMaxNests is EP_MAX_NESTS: a chain of nested eventpolls has at most this
// many links, so at most epMaxNests+1 = 5 eventpolls.
const epMaxNests = 4

// privateBits are the mode bits an item keeps when ONESHOT disables it
// (EP_PRIVATE_BITS).
const privateBits = ep.EdgeTriggered | ep.OneShot | ep.Exclusive

// exclusiveOK are the bits Exclusive may be combined with
// (EPOLLEXCLUSIVE_OK_BITS).
const exclusiveOK = ep.Readable | ep.Writable | ep.Error | ep.Hangup | ep.EdgeTriggered | ep.Exclusive

// eventpoll is struct eventpoll: the interest set (rbr), the ready list
// (rdllist), the overflow list (ovflist) used while events are transferred
// to the caller, the waiters of Wait (wq) and the wait queue of those who
// poll the eventpoll itself (poll_wait). mtx serializes epoll_ctl with the
// transfer; lock guards the lists and may be taken from wake-up callbacks.
type eventpoll struct {
	k    *Kernel
	file *file

	mtx sync.Mutex
	rbr itemTree
	// nested lists the items whose target is an eventpoll; guarded by
	// k.epmu (loop and depth checks walk it).
	nested map[*epitem]struct{}

	lock      sync.Mutex
	rdllist   itemList
	ovflist   *epitem
	ovfActive bool // ovflist != EP_UNACTIVE_PTR: a transfer is running
	wq        []*waiter
	closed    bool

	pollWait waitQueue
}

// epitem is struct epitem: one registration, keyed by (file, fd), with its
// interest and data (event), its links in the ready list (rdllink) and the
// overflow list (next), and its hooks in the target's wait queues (pwqlist).
type epitem struct {
	ep     *eventpoll
	file   *file
	fd     int
	events ep.Events // guarded by ep.mtx and ep.lock for writes
	data   uint64

	rdPrev, rdNext *epitem
	onList         bool
	next           *epitem
	onOvf          bool

	pwqlist []*pollEntry
	dead    bool
}

// pollEntry is struct eppoll_entry: the hook of one epitem in one wait
// queue of its target, whose function is ep_poll_callback.
type pollEntry struct {
	epi   *epitem
	whead *waitQueue
	wait  waitEntry
}

// waiter is one Wait blocked on the eventpoll (an entry of ep->wq).
type waiter struct {
	ch   chan struct{}
	task *task
}

func (w *waiter) signal() {
	if w.task != nil {
		w.task.s.ready(w.task)
		return
	}
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

func newEventpoll(k *Kernel) *eventpoll {
	return &eventpoll{k: k}
}

func (e *eventpoll) key(epi *epitem) itemKey { return itemKey{epi.file.id, epi.fd} }

// wakeOneLocked wakes the first waiter (ep->wq entries are exclusive and
// removed when woken).
func (e *eventpoll) wakeOneLocked() {
	if len(e.wq) == 0 {
		return
	}
	w := e.wq[0]
	e.wq = e.wq[1:]
	w.signal()
}

func (e *eventpoll) eventsAvailableLocked() bool {
	return !e.rdllist.empty() || e.ovfActive
}

// callback is ep_poll_callback: called from the target's wait queue with
// the wake-up key, it queues the item on the ready list (or the overflow
// list during a transfer) and wakes a waiter. For an Exclusive item it
// reports whether it woke someone, so that the queue stops there.
func (e *eventpoll) callback(epi *epitem, key ep.Events) bool {
	e.lock.Lock()
	ewake := false
	pwake := false
	switch {
	case epi.dead, epi.events&^privateBits == 0:
		// Removed, or a disabled ONESHOT item.
	case key != 0 && key&epi.events == 0:
		// Not a condition the item asks for.
	default:
		if e.ovfActive {
			if !epi.onOvf {
				epi.onOvf = true
				epi.next = e.ovflist
				e.ovflist = epi
			}
		} else if !epi.linked() {
			e.rdllist.pushBack(epi)
		}
		if len(e.wq) > 0 {
			if epi.events&ep.Exclusive != 0 {
				switch key & (ep.Readable | ep.Writable) {
				case ep.Readable:
					ewake = epi.events&ep.Readable != 0
				case ep.Writable:
					ewake = epi.events&ep.Writable != 0
				case 0:
					ewake = true
				}
			}
			e.wakeOneLocked()
		}
		pwake = true
	}
	if epi.events&ep.Exclusive == 0 {
		ewake = true
	}
	e.lock.Unlock()
	if pwake {
		// ep_poll_safewake: those polling this eventpoll (nested) learn
		// that it is readable.
		e.pollWait.wake(ep.Readable)
	}
	return ewake
}

// targetPoll calls f_op->poll of the item's file.
func targetPoll(f *file, pt *pollTable) ep.Events {
	return f.ops.(pollable).poll(pt)
}

// insert is ep_insert: hook the new item into the target's queues through
// the poll table, add it to the tree and, if already ready, to the ready
// list. e.mtx is held.
func (e *eventpoll) insert(f *file, fd int, events ep.Events, data uint64) {
	epi := &epitem{ep: e, file: f, fd: fd, events: events | ep.Error | ep.Hangup, data: data}
	pt := &pollTable{queue: func(q *waitQueue) {
		pe := &pollEntry{epi: epi, whead: q}
		pe.wait = waitEntry{exclusive: events&ep.Exclusive != 0, fn: func(key ep.Events) bool {
			return e.callback(epi, key)
		}}
		epi.pwqlist = append(epi.pwqlist, pe)
		q.add(&pe.wait)
	}}
	revents := targetPoll(f, pt)
	f.linkItem(epi)
	e.rbr.insert(e.key(epi), epi)
	if _, isEP := f.ops.(*eventpoll); isEP {
		if e.nested == nil {
			e.nested = make(map[*epitem]struct{})
		}
		e.nested[epi] = struct{}{}
	}
	e.queueIfReady(epi, revents)
}

// queueIfReady puts a ready item on the ready list and wakes a waiter and
// the eventpoll's own pollers.
func (e *eventpoll) queueIfReady(epi *epitem, revents ep.Events) {
	e.lock.Lock()
	pwake := false
	if revents&epi.events != 0 && !epi.linked() {
		e.rdllist.pushBack(epi)
		e.wakeOneLocked()
		pwake = true
	}
	e.lock.Unlock()
	if pwake {
		e.pollWait.wake(ep.Readable)
	}
}

// modify is ep_modify: new interest and data, then a fresh poll, so that a
// still-ready item is reported again (and a disabled ONESHOT is re-armed).
// e.mtx is held.
func (e *eventpoll) modify(epi *epitem, events ep.Events, data uint64) {
	e.lock.Lock()
	epi.events = events | ep.Error | ep.Hangup
	epi.data = data
	e.lock.Unlock()
	revents := targetPoll(epi.file, nil)
	e.queueIfReady(epi, revents)
}

// remove is ep_remove: unhook from the target's queues, from the file's
// list, from the tree and the ready list. e.mtx is held.
func (e *eventpoll) remove(epi *epitem) {
	for _, pe := range epi.pwqlist {
		pe.whead.remove(&pe.wait)
	}
	epi.pwqlist = nil
	epi.file.unlinkItem(epi)
	e.rbr.delete(e.key(epi))
	if _, isEP := epi.file.ops.(*eventpoll); isEP {
		// Only under k.epmu, which every removal of such an item holds.
		delete(e.nested, epi)
	}
	e.lock.Lock()
	if epi.linked() {
		e.rdllist.remove(epi)
	}
	epi.dead = true
	e.lock.Unlock()
}

// removeItem removes epi unless it is gone already (the release path,
// eventpoll_release_file).
func (e *eventpoll) removeItem(epi *epitem) {
	e.mtx.Lock()
	if !epi.dead {
		e.remove(epi)
	}
	e.mtx.Unlock()
}

// startScan is ep_start_scan: steal the ready list into a transfer list and
// activate the overflow list, so that events arriving from now on are kept
// aside. e.mtx is held.
func (e *eventpoll) startScan() itemList {
	var tx itemList
	e.lock.Lock()
	e.rdllist.spliceInto(&tx, false)
	e.ovfActive = true
	e.ovflist = nil
	e.lock.Unlock()
	return tx
}

// doneScan is ep_done_scan: items that arrived during the transfer go to
// the ready list (oldest first), the overflow list is deactivated, what is
// left of the transfer list goes back to the front, and if anything is
// ready a waiter is woken. e.mtx is held.
func (e *eventpoll) doneScan(tx *itemList) {
	e.lock.Lock()
	for epi := e.ovflist; epi != nil; {
		next := epi.next
		epi.next, epi.onOvf = nil, false
		if !epi.linked() && !epi.dead {
			e.rdllist.pushFront(epi)
		}
		epi = next
	}
	e.ovflist = nil
	e.ovfActive = false
	tx.spliceInto(&e.rdllist, true)
	if !e.rdllist.empty() {
		// Another waiter may take what this transfer left. Unlike the
		// older kernels the seeds describe, poll_wait is not woken here:
		// a nested edge-triggered item would otherwise fire for ever.
		e.wakeOneLocked()
	}
	e.lock.Unlock()
}

// sendEvents is ep_send_events: transfer up to len(out) ready items to out,
// re-checking each one's readiness (mask = current state & interest).
// Level-triggered items go back to the tail of the ready list (round
// robin), edge-triggered ones do not, one-shot ones are disabled.
func (e *eventpoll) sendEvents(out []ep.Event) int {
	e.mtx.Lock()
	defer e.mtx.Unlock()
	tx := e.startScan()
	if e.k.cfg.Shuffle && tx.n > 1 {
		shuffleList(e.k, &tx)
	}
	n := 0
	for n < len(out) {
		epi := tx.popFront()
		if epi == nil {
			break
		}
		revents := targetPoll(epi.file, nil) & epi.events
		if revents == 0 {
			continue
		}
		out[n] = ep.Event{Events: revents, Data: epi.data}
		n++
		if epi.events&ep.OneShot != 0 {
			e.lock.Lock()
			epi.events &= privateBits
			e.lock.Unlock()
		} else if epi.events&ep.EdgeTriggered == 0 {
			e.lock.Lock()
			e.rdllist.pushBack(epi)
			e.lock.Unlock()
		}
	}
	e.doneScan(&tx)
	return n
}

// shuffleList puts the items of l in a seeded random order.
func shuffleList(k *Kernel, l *itemList) {
	items := make([]*epitem, 0, l.n)
	for epi := l.popFront(); epi != nil; epi = l.popFront() {
		items = append(items, epi)
	}
	for i := len(items) - 1; i > 0; i-- {
		j := k.randIntn(i + 1)
		items[i], items[j] = items[j], items[i]
	}
	for _, epi := range items {
		l.pushBack(epi)
	}
}

// poll is the eventpoll file's f_op->poll (ep_eventpoll_poll): readable
// when at least one queued item is really ready. Items found not ready are
// dropped from the ready list, as the kernel does.
func (e *eventpoll) poll(pt *pollTable) ep.Events {
	pollWait(&e.pollWait, pt)
	e.mtx.Lock()
	defer e.mtx.Unlock()
	tx := e.startScan()
	var res ep.Events
	var keep itemList
	for epi := tx.popFront(); epi != nil; epi = tx.popFront() {
		if targetPoll(epi.file, nil)&epi.events != 0 {
			keep.pushBack(epi)
			res = ep.Readable
			break
		}
	}
	tx.spliceInto(&keep, false)
	e.doneScan(&keep)
	return res
}

// release is ep_free: every item is unhooked, every waiter told.
func (e *eventpoll) release() {
	e.k.epmu.Lock()
	defer e.k.epmu.Unlock()
	e.mtx.Lock()
	defer e.mtx.Unlock()
	e.lock.Lock()
	e.closed = true
	for len(e.wq) > 0 {
		e.wakeOneLocked()
	}
	e.lock.Unlock()
	var items []*epitem
	e.rbr.walk(func(epi *epitem) { items = append(items, epi) })
	for _, epi := range items {
		e.remove(epi)
	}
}

// loopCheck is ep_loop_check: adding target (an eventpoll) to e must not
// close a cycle nor make a chain of more than epMaxNests links. k.epmu is
// held.
func (e *eventpoll) loopCheck(target *eventpoll) bool {
	if target.reaches(e, 0) {
		return false
	}
	return e.depthUp(0)+1+target.depthDown(0) <= epMaxNests
}

// reaches reports whether x is e or nested somewhere below e.
func (e *eventpoll) reaches(x *eventpoll, depth int) bool {
	if e == x {
		return true
	}
	if depth > epMaxNests+1 {
		return false
	}
	for epi := range e.nested {
		if epi.file.ops.(*eventpoll).reaches(x, depth+1) {
			return true
		}
	}
	return false
}

// depthDown is the longest chain of links below e.
func (e *eventpoll) depthDown(depth int) int {
	best := 0
	if depth > epMaxNests+1 {
		return best
	}
	for epi := range e.nested {
		best = max(best, 1+epi.file.ops.(*eventpoll).depthDown(depth+1))
	}
	return best
}

// depthUp is the longest chain of links above e (eventpolls watching it).
func (e *eventpoll) depthUp(depth int) int {
	best := 0
	if e.file == nil || depth > epMaxNests+1 {
		return best
	}
	for _, epi := range e.file.items() {
		best = max(best, 1+epi.ep.depthUp(depth+1))
	}
	return best
}

// The operations of ctl, as epoll_ctl's EPOLL_CTL_ADD, _DEL and _MOD (sim's
// own values, so that it builds where x/sys/unix has no epoll).
const (
	ctlAdd = 1 + iota
	ctlDel
	ctlMod
)

// ctl is epoll_ctl after the descriptor lookups, with its error order:
// EPERM, EINVAL, ELOOP, EEXIST / ENOENT.
func (e *eventpoll) ctl(op int, tf *file, fd int, events ep.Events, data uint64) error {
	if _, ok := tf.ops.(pollable); !ok {
		return syscall.EPERM
	}
	if tf == e.file {
		return syscall.EINVAL
	}
	target, isEP := tf.ops.(*eventpoll)
	if op != ctlDel && events&ep.Exclusive != 0 {
		if op == ctlMod {
			return syscall.EINVAL
		}
		if isEP || events&^exclusiveOK != 0 {
			return syscall.EINVAL
		}
	}
	if isEP {
		e.k.epmu.Lock()
		defer e.k.epmu.Unlock()
	}
	e.mtx.Lock()
	defer e.mtx.Unlock()
	e.lock.Lock()
	closed := e.closed
	e.lock.Unlock()
	if closed {
		return syscall.EBADF
	}
	if op == ctlAdd && isEP && !e.loopCheck(target) {
		return syscall.ELOOP
	}
	epi := e.rbr.get(itemKey{tf.id, fd})
	switch op {
	case ctlAdd:
		if epi != nil {
			return syscall.EEXIST
		}
		e.insert(tf, fd, events, data)
	case ctlMod:
		if epi == nil {
			return syscall.ENOENT
		}
		if epi.events&ep.Exclusive != 0 {
			return syscall.EINVAL
		}
		e.modify(epi, events, data)
	case ctlDel:
		if epi == nil {
			return syscall.ENOENT
		}
		e.remove(epi)
	default:
		return syscall.EINVAL
	}
	return nil
}
