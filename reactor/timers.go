package reactor

import "time"

// timer is one entry of a loop's timer heap: a user function (Loop.AfterFunc)
// or a connection's timeouts (idle, deadline, linger), which share one entry
// per connection so that touching a connection allocates nothing.
type timer struct {
	when  int64 // Kernel.Now in Unix nanoseconds
	index int   // position in the heap, -1 when not scheduled
	f     func()
	c     *Conn
}

// timerHeap is a binary min-heap on when.
type timerHeap []*timer

func (h *timerHeap) push(t *timer) {
	t.index = len(*h)
	*h = append(*h, t)
	h.up(t.index)
}

func (h *timerHeap) remove(t *timer) {
	i := t.index
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	t.index = -1
	if i != last {
		h.fix(i)
	}
}

// reset schedules t at when, adding or moving it.
func (h *timerHeap) reset(t *timer, when int64) {
	t.when = when
	if t.index < 0 {
		h.push(t)
		return
	}
	h.fix(t.index)
}

func (h *timerHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].when <= h[i].when {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) bool {
	start := i
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].when < h[l].when {
			m = r
		}
		if h[i].when <= h[m].when {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

// Timer is a function scheduled on a loop with Loop.AfterFunc.
type Timer struct {
	t timer
	l *Loop
}

// Stop cancels the timer and reports whether it was still pending. Call it
// on the loop's goroutine.
func (t *Timer) Stop() bool {
	if t.t.index < 0 {
		return false
	}
	t.l.timers.remove(&t.t)
	return true
}

// AfterFunc runs f on the loop's goroutine once d has passed (measured with
// the server's Kernel clock). Call it on the loop's goroutine: from a
// handler callback, a timer, or a function given to Submit.
func (l *Loop) AfterFunc(d time.Duration, f func()) *Timer {
	t := &Timer{l: l, t: timer{f: f, index: -1}}
	l.timers.reset(&t.t, l.k.Now().UnixNano()+int64(d))
	return t
}
