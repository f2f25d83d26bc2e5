//go:build linux

package eventpoll

import (
	"testing"
	"time"
)

// Unit tests of the emulated backends with several concurrent Waits: the
// orderings the conformance suite (eventpolltest WaitersXxx) can only hit by
// chance are forced here by holding the interest set's mutex.

// TestEmuRearmAtTimeoutReported: a Modify that re-arms a ready one-shot fd
// after a Wait's system call timed out but before that Wait returned is
// reported by it, as epoll_wait looks at its ready list once more at the
// timeout. Before the fix the Wait returned 0 (issue 10 item 4b: a 1 s
// select Wait returned 0 although another goroutine had just re-armed an
// always-readable one-shot fd).
func TestEmuRearmAtTimeoutReported(t *testing.T) {
	for _, b := range emuBackends {
		t.Run(b, func(t *testing.T) {
			e := newTestEmu(t, b)
			r, w := testPipe(t)
			testWrite(t, w, "x") // always readable
			if err := e.Add(r, Readable|OneShot, 1); err != nil {
				t.Fatal(err)
			}
			wantEvents(t, waitN(t, e, 4, 0), Event{Readable, 1}) // now disabled
			const timeout = 50 * time.Millisecond
			got := make(chan []Event, 1)
			go func() {
				evs := make([]Event, 4)
				n, err := e.Wait(evs, timeout)
				if err != nil {
					t.Error(err)
				}
				got <- evs[:n]
			}()
			waitBlocked(t, e, 1)
			e.mu.Lock()
			time.Sleep(2 * timeout) // the Wait's system call times out and waits for the mutex
			i := e.lookup(r)
			e.setInterest(i, Readable|OneShot, 2) // Modify, under the same lock
			e.mu.Unlock()
			select {
			case evs := <-got:
				wantEvents(t, evs, Event{Readable, 2})
			case <-time.After(5 * time.Second):
				t.Fatal("Wait did not return")
			}
		})
	}
}
