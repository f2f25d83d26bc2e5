package sim

import (
	"sync"

	ep "github.com/eventpoll/eventpoll"
)

// waitQueue is the kernel's wait_queue_head_t: the entries to call when the
// object it belongs to changes state. Non-exclusive entries sit at the head
// and are all called; exclusive entries sit at the tail and a wake-up stops
// after the first exclusive entry that reports it woke someone
// (__wake_up_common with nr_exclusive = 1).
type waitQueue struct {
	mu      sync.Mutex
	entries []*waitEntry
}

// waitEntry is a wait_queue_entry_t whose function is ep_poll_callback: it
// belongs to one eppoll_entry (see pollEntry) of one epitem.
type waitEntry struct {
	exclusive bool
	// fn is called with the wake-up key (0: any condition) and with the
	// queue's lock held; it returns whether it woke a waiter.
	fn func(key ep.Events) bool
}

// add inserts e: non-exclusive entries first, exclusive ones at the tail.
func (q *waitQueue) add(e *waitEntry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.exclusive {
		q.entries = append(q.entries, e)
		return
	}
	q.entries = append(q.entries, nil)
	copy(q.entries[1:], q.entries)
	q.entries[0] = e
}

// remove deletes e if present. After remove returns, e's function is not
// running and will not be called again.
func (q *waitQueue) remove(e *waitEntry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, x := range q.entries {
		if x == e {
			q.entries = append(q.entries[:i], q.entries[i+1:]...)
			return
		}
	}
}

// wake calls the entries with key: every non-exclusive entry, and exclusive
// entries until one reports a woken waiter.
func (q *waitQueue) wake(key ep.Events) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range q.entries {
		if e.fn(key) && e.exclusive {
			return
		}
	}
}

// pollTable is the kernel's poll_table: passed to a file's poll method, it
// carries the queue procedure (ep_ptable_queue_proc) that hooks the caller
// into the file's wait queues. A nil *pollTable, or one with a nil queue,
// only asks for the current mask.
type pollTable struct {
	queue func(q *waitQueue)
}

// pollWait is poll_wait(): hook the table's caller into q.
func pollWait(q *waitQueue, pt *pollTable) {
	if pt != nil && pt.queue != nil {
		pt.queue(q)
	}
}
