package sim_test

import (
	"fmt"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/sim"
)

// A simulated kernel behaves like Linux: a pipe registered level-triggered
// is reported for as long as it holds data.
func ExampleNew() {
	k := sim.New(sim.Config{})
	p, _ := k.NewPoller("")
	defer p.Close()
	r, w, _ := k.Pipe()
	p.Add(r, ep.Readable, 7)
	k.Write(w, []byte("hello"))
	evs := make([]ep.Event, 4)
	n, _ := p.Wait(evs, time.Second)
	fmt.Println(n, evs[0].Events, evs[0].Data)
	// Output: 1 readable 7
}

// In Deterministic mode a Wait that times out costs no real time: the
// virtual clock jumps to its deadline.
func ExampleConfig_deterministic() {
	k := sim.New(sim.Config{Deterministic: true, Seed: 1})
	p, _ := k.NewPoller("")
	defer p.Close()
	start := k.Now()
	n, _ := p.Wait(make([]ep.Event, 1), time.Hour)
	fmt.Println(n, k.Now().Sub(start))
	// Output: 0 1h0m0s
}

// Eventpolls nest: a Poller's FD is readable while it has events pending.
func ExamplePoller_FD() {
	k := sim.New(sim.Config{})
	inner, _ := k.NewPoller("")
	outer, _ := k.NewPoller("")
	r, w, _ := k.Pipe()
	inner.Add(r, ep.Readable, 1)
	outer.Add(inner.(*sim.Poller).FD(), ep.Readable, 2)
	k.Write(w, []byte("x"))
	evs := make([]ep.Event, 4)
	n, _ := outer.Wait(evs, time.Second)
	fmt.Println(n, evs[0].Data)
	// Output: 1 2
}
