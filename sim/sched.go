package sim

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// scheduler runs the tasks of a Deterministic kernel one at a time. A task
// is the goroutine that waits on one Poller; it is running from the
// Poller's creation until it sleeps in Wait. When no task runs, the
// scheduler picks one of the runnable tasks with the seeded RNG; when none
// is runnable it advances the virtual clock to the earliest Wait deadline.
// So timeouts cost no real time, and with the same seed and the same
// program the same interleaving happens.
type scheduler struct {
	k     *Kernel
	clock atomic.Int64 // virtual time since Config.Start, in nanoseconds
	cur   atomic.Int64 // id of the running task, 0 when none

	mu      sync.Mutex
	tasks   []*task
	running int
	nextID  int
	stalled bool
	timers  timerHeap
	tseq    uint64
}

type taskState int

const (
	taskRunning  taskState = iota
	taskRunnable           // parked, may run
	taskBlocked            // parked in Wait until woken or its deadline
)

// task is one Poller's waiting goroutine as the scheduler sees it.
type task struct {
	s        *scheduler
	id       int
	state    taskState
	deadline time.Duration // virtual, when timed
	timed    bool
	pending  bool // woken while running: the next block returns at once
	resume   chan struct{}
	gone     bool
	waiters  atomic.Int32 // goroutines in Wait: at most one
}

func newScheduler(k *Kernel) *scheduler { return &scheduler{k: k} }

func (s *scheduler) now() time.Duration { return time.Duration(s.clock.Load()) }

// newTask registers a task, running.
func (s *scheduler) newTask() *task {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	t := &task{s: s, id: s.nextID, resume: make(chan struct{}, 1)}
	s.tasks = append(s.tasks, t)
	if s.running == 0 {
		s.cur.Store(int64(t.id))
	}
	s.running++
	return t
}

// exit removes a task (its Poller closed).
func (s *scheduler) exit(t *task) {
	s.mu.Lock()
	if t.gone {
		s.mu.Unlock()
		return
	}
	t.gone = true
	if t.state == taskRunning {
		s.running--
	} else {
		// Let a parked goroutine leave; it no longer counts.
		t.state = taskRunning
		t.resume <- struct{}{}
	}
	for i, x := range s.tasks {
		if x == t {
			s.tasks = append(s.tasks[:i], s.tasks[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	s.settle()
}

// block parks t in Wait until it is woken or, when timed, until the virtual
// clock reaches now+left.
func (s *scheduler) block(t *task, left time.Duration, timed bool) {
	s.mu.Lock()
	if t.gone {
		s.mu.Unlock()
		return
	}
	if t.pending {
		t.pending = false
		s.mu.Unlock()
		return
	}
	t.state = taskBlocked
	t.timed = timed
	t.deadline = s.now() + left
	s.running--
	s.mu.Unlock()
	s.settle()
	<-t.resume
}

// maybeYield parks t as runnable with probability Config.Yield, so that
// another runnable task may run first.
func (s *scheduler) maybeYield(t *task) {
	if s.k.cfg.Yield <= 0 {
		return
	}
	s.k.rngMu.Lock()
	y := s.k.rng.Float64() < s.k.cfg.Yield
	s.k.rngMu.Unlock()
	if !y {
		return
	}
	s.mu.Lock()
	if t.gone || t.state != taskRunning {
		s.mu.Unlock()
		return
	}
	t.state = taskRunnable
	s.running--
	s.mu.Unlock()
	s.settle()
	<-t.resume
}

// ready is a waiter's wake-up: a blocked task becomes runnable.
func (s *scheduler) ready(t *task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch t.state {
	case taskBlocked:
		t.state = taskRunnable
		s.dispatchLocked()
	case taskRunning:
		t.pending = true
	}
}

// dispatchLocked runs one runnable task if none is running, advancing the
// virtual clock when every task sleeps with a deadline. It reports true,
// having advanced the clock, when kernel timers are due before any task can
// run: the caller must then run them (settle) without holding s.mu.
func (s *scheduler) dispatchLocked() (timersDue bool) {
	if s.running > 0 {
		return false
	}
	cands := s.runnableLocked()
	if len(cands) == 0 {
		var next time.Duration
		found := false
		for _, t := range s.tasks {
			if t.state == taskBlocked && t.timed && (!found || t.deadline < next) {
				next, found = t.deadline, true
			}
		}
		if len(s.timers) > 0 && (!found || s.timers[0].at <= next) {
			if at := s.timers[0].at; at > s.now() {
				s.clock.Store(int64(at))
			}
			return true
		}
		if !found {
			// Every task sleeps without a deadline: only a goroutine
			// outside the scheduler can wake one now.
			s.stalled = len(s.tasks) > 0
			s.cur.Store(0)
			return false
		}
		if next > s.now() {
			s.clock.Store(int64(next))
		}
		for _, t := range s.tasks {
			if t.state == taskBlocked && t.timed && t.deadline <= next {
				t.state = taskRunnable
			}
		}
		cands = s.runnableLocked()
	}
	s.stalled = false
	t := cands[0]
	if len(cands) > 1 {
		t = cands[s.k.randIntn(len(cands))]
	}
	t.state = taskRunning
	s.running++
	s.cur.Store(int64(t.id))
	t.resume <- struct{}{}
	return false
}

// settle dispatches, first running the kernel timers (network deliveries)
// that fall due while no task can run. The timers run on the calling
// goroutine, which holds the CPU meanwhile. Call it holding no lock.
func (s *scheduler) settle() {
	for {
		s.mu.Lock()
		if !s.dispatchLocked() {
			s.mu.Unlock()
			return
		}
		var due []ktimer
		for len(s.timers) > 0 && s.timers[0].at <= s.now() {
			due = append(due, heap.Pop(&s.timers).(ktimer))
		}
		s.running++
		s.mu.Unlock()
		for _, t := range due {
			t.fn()
		}
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}
}

// runDue runs the kernel timers already due, on the calling task (which
// holds the CPU): a Wait first takes delivery of what has arrived.
func (s *scheduler) runDue() {
	for {
		s.mu.Lock()
		if len(s.timers) == 0 || s.timers[0].at > s.now() {
			s.mu.Unlock()
			return
		}
		t := heap.Pop(&s.timers).(ktimer)
		s.mu.Unlock()
		t.fn()
	}
}

// at runs fn at virtual time when (a network delivery). Call it holding no
// lock.
func (s *scheduler) at(when time.Duration, fn func()) {
	s.mu.Lock()
	s.tseq++
	heap.Push(&s.timers, ktimer{at: when, seq: s.tseq, fn: fn})
	idle := s.running == 0
	s.mu.Unlock()
	if idle {
		s.settle()
	}
}

// ktimer is a kernel timer; timerHeap orders them by time, then by the
// order they were set.
type ktimer struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type timerHeap []ktimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || h[i].at == h[j].at && h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(ktimer)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (s *scheduler) runnableLocked() []*task {
	var out []*task
	for _, t := range s.tasks {
		if t.state == taskRunnable {
			out = append(out, t)
		}
	}
	return out
}

// Idle reports whether, in Deterministic mode, nothing inside the
// simulation can happen any more: no task runs or can run, none sleeps
// with a deadline, and no segment is in flight. Only a goroutine outside
// the scheduler can change that. Tests use it to start clients once a
// server has settled, and to check a server after its clients are gone.
func (k *Kernel) Idle() bool {
	if k.sched == nil {
		return false
	}
	s := k.sched
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running > 0 || len(s.timers) > 0 {
		return false
	}
	for _, t := range s.tasks {
		if t.state != taskBlocked || t.timed {
			return false
		}
	}
	return true
}

// Stalled reports whether, in Deterministic mode, every task sleeps in a
// Wait without a deadline (nothing inside the simulation can wake them).
func (k *Kernel) Stalled() bool {
	if k.sched == nil {
		return false
	}
	k.sched.mu.Lock()
	defer k.sched.mu.Unlock()
	return k.sched.stalled
}

// Advance moves the virtual clock forward by d (Deterministic mode only);
// Waits whose deadlines pass become runnable.
func (k *Kernel) Advance(d time.Duration) {
	if k.sched == nil || d <= 0 {
		return
	}
	s := k.sched
	s.mu.Lock()
	s.clock.Add(int64(d))
	for _, t := range s.tasks {
		if t.state == taskBlocked && t.timed && t.deadline <= s.now() {
			t.state = taskRunnable
		}
	}
	s.mu.Unlock()
	s.settle()
}
