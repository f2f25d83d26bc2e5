package sim_test

import (
	"fmt"
	"testing"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/sim"
)

// BenchmarkSimWait measures one Wait that returns the single ready fd among
// idle=N registered, idle pipes: with a ready list fed by callbacks its
// cost does not depend on N.
func BenchmarkSimWait(b *testing.B) {
	for _, idle := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("idle=%d", idle), func(b *testing.B) {
			k := sim.New(sim.Config{MaxFDs: 4*idle + 64})
			p, err := k.NewPoller("")
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			for i := range idle {
				r, _, err := k.Pipe()
				if err != nil {
					b.Fatal(err)
				}
				if err := p.Add(r, ep.Readable, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			r, w, _ := k.Pipe()
			k.Write(w, []byte("x"))
			if err := p.Add(r, ep.Readable, 1<<40); err != nil {
				b.Fatal(err)
			}
			evs := make([]ep.Event, 64)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				n, err := p.Wait(evs, 0)
				if err != nil || n != 1 {
					b.Fatalf("Wait = %d, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkSimCtl measures Modify and a Delete+Add pair among n
// registrations (the interest tree: O(log n)).
func BenchmarkSimCtl(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			k := sim.New(sim.Config{MaxFDs: 4*n + 64})
			p, _ := k.NewPoller("")
			defer p.Close()
			fds := make([]int, n)
			for i := range n {
				fds[i], _, _ = k.Pipe()
				p.Add(fds[i], ep.Readable, uint64(i))
			}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				fd := fds[i%n]
				i += 7919
				if err := p.Modify(fd, ep.Readable|ep.EdgeTriggered, 1); err != nil {
					b.Fatal(err)
				}
				if err := p.Delete(fd); err != nil {
					b.Fatal(err)
				}
				if err := p.Add(fd, ep.Readable, 2); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
