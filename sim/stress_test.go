package sim_test

import (
	"math/rand"
	"sync"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/sim"
)

// TestStressNestedConcurrent runs goroutines that at random nest pollers,
// add and delete pipes, write, read, wait, close fds and pollers, all at
// once, for a bounded time. Under -race it checks the lock order of files,
// wait queues and eventpolls (a deadlock fails the test by timeout) and
// that everything is released at the end.
func TestStressNestedConcurrent(t *testing.T) {
	k := sim.New(sim.Config{})
	const workers = 4
	var mu sync.Mutex
	var pollers []*sim.Poller
	var pipes [][2]int
	for range 4 {
		p, _ := k.NewPoller("")
		pollers = append(pollers, p.(*sim.Poller))
	}
	for range 16 {
		r, w, _ := k.Pipe()
		pipes = append(pipes, [2]int{r, w})
	}
	pick := func(rng *rand.Rand) (*sim.Poller, [2]int) {
		mu.Lock()
		defer mu.Unlock()
		return pollers[rng.Intn(len(pollers))], pipes[rng.Intn(len(pipes))]
	}
	deadline := time.Now().Add(time.Second)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewSource(int64(w)))
			evs := make([]ep.Event, 4)
			buf := make([]byte, 64)
			for time.Now().Before(deadline) {
				p, pp := pick(rng)
				switch rng.Intn(9) {
				case 0:
					q, _ := pick(rng)
					p.Add(q.FD(), ep.Readable|ep.Events(rng.Intn(2))*ep.EdgeTriggered, 1)
				case 1:
					q, _ := pick(rng)
					p.Delete(q.FD())
				case 2:
					p.Add(pp[0], ep.Readable|ep.Events(rng.Intn(2))*ep.OneShot, 2)
				case 3:
					p.Delete(pp[0])
				case 4:
					k.Write(pp[1], buf[:1+rng.Intn(32)])
				case 5:
					k.Read(pp[0], buf)
				case 6:
					p.Wait(evs, time.Duration(rng.Intn(2))*time.Millisecond)
				case 7:
					// Replace a pipe: close both ends (items go away).
					r, w, err := k.Pipe()
					if err != nil {
						continue
					}
					mu.Lock()
					i := rng.Intn(len(pipes))
					old := pipes[i]
					pipes[i] = [2]int{r, w}
					mu.Unlock()
					k.Close(old[0])
					k.Close(old[1])
				case 8:
					// Replace a poller: closing it removes it from its parents.
					np, err := k.NewPoller("")
					if err != nil {
						continue
					}
					mu.Lock()
					i := rng.Intn(len(pollers))
					old := pollers[i]
					pollers[i] = np.(*sim.Poller)
					mu.Unlock()
					old.Close()
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("workers did not finish: deadlock")
	}
	for _, p := range pollers {
		p.Close()
	}
	for _, pp := range pipes {
		k.Close(pp[0])
		k.Close(pp[1])
	}
	if n := k.OpenFDs(); n != 0 {
		t.Fatalf("%d descriptors open at the end", n)
	}
}
