package sim

import (
	"testing"

	ep "github.com/eventpoll/eventpoll"
)

// trigger is a test file that is always readable and, the first time its
// poll method is called without a poll table (that is, at harvest, in the
// middle of a transfer), runs a function: an event arriving during the
// transfer.
type trigger struct {
	wq    waitQueue
	fire  func()
	fired bool
}

func (t *trigger) poll(pt *pollTable) ep.Events {
	pollWait(&t.wq, pt)
	if pt == nil && t.fire != nil && !t.fired {
		t.fired = true
		t.fire()
	}
	return ep.Readable
}

func (t *trigger) release() {}

func setupTransfer(t *testing.T) (*Kernel, *Poller, *trigger) {
	k := New(Config{})
	pi, err := k.NewPoller("")
	if err != nil {
		t.Fatal(err)
	}
	p := pi.(*Poller)
	t.Cleanup(func() { p.Close() })
	tr := &trigger{}
	fd, _, err := k.installNew(tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Add(fd, ep.Readable|ep.EdgeTriggered, 1); err != nil {
		t.Fatal(err)
	}
	return k, p, tr
}

func datas(evs []ep.Event) []uint64 {
	var out []uint64
	for _, e := range evs {
		out = append(out, e.Data)
	}
	return out
}

func wait(t *testing.T, p *Poller, max int) []ep.Event {
	t.Helper()
	evs := make([]ep.Event, max)
	n, err := p.Wait(evs, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs[:n]
}

// TestOverflowListKeepsNewItem: an item that becomes ready while the ready
// list is being transferred goes to ovflist, then to the ready list: it is
// not in this result (it was not ready when the transfer began) and not
// lost (the next Wait has it).
func TestOverflowListKeepsNewItem(t *testing.T) {
	k, p, tr := setupTransfer(t)
	r, w, _ := k.Pipe()
	if err := p.Add(r, ep.Readable|ep.EdgeTriggered, 2); err != nil {
		t.Fatal(err)
	}
	tr.fire = func() {
		if !p.ep.ovfActive {
			t.Error("the callback did not run during a transfer")
		}
		k.Write(w, []byte("x"))
		if p.ep.ovflist == nil || p.ep.ovflist.data != 2 {
			t.Error("the new event is not on ovflist")
		}
	}
	if got := datas(wait(t, p, 8)); len(got) != 1 || got[0] != 1 {
		t.Fatalf("first Wait = %v, want [1]", got)
	}
	if p.ep.ovfActive || p.ep.ovflist != nil {
		t.Fatal("ovflist still active after the transfer")
	}
	if got := datas(wait(t, p, 8)); len(got) != 1 || got[0] != 2 {
		t.Fatalf("second Wait = %v, want [2] (the event from ovflist)", got)
	}
}

// TestOverflowListOncePerResult: an item delivered earlier in the same
// transfer that fires again during it appears once in this result and
// again in the next; an item still waiting in the transfer list that fires
// is delivered once.
func TestOverflowListOncePerResult(t *testing.T) {
	k, p, tr := setupTransfer(t)
	r2, w2, _ := k.Pipe()
	r3, w3, _ := k.Pipe()
	k.Write(w2, []byte("a"))
	k.Write(w3, []byte("a"))
	// Ready order: trigger(1) was added first and is ready; then 2, 3.
	p.Delete(p.ep.rdllist.head.fd)
	if err := p.Add(r2, ep.Readable|ep.EdgeTriggered, 2); err != nil {
		t.Fatal(err)
	}
	fd := -1
	for i := 0; i < 16; i++ {
		if f, err := k.get(i); err == nil {
			if f.ops == tr {
				fd = i
			}
			k.put(f)
		}
	}
	if err := p.Add(fd, ep.Readable|ep.EdgeTriggered, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(r3, ep.Readable|ep.EdgeTriggered, 3); err != nil {
		t.Fatal(err)
	}
	// Transfer order 2, 1, 3: while 1 is harvested, 2 (delivered) and 3
	// (not yet harvested) get new data.
	tr.fire = func() {
		k.Write(w2, []byte("b"))
		k.Write(w3, []byte("b"))
	}
	got := datas(wait(t, p, 8))
	if len(got) != 3 || got[0] != 2 || got[1] != 1 || got[2] != 3 {
		t.Fatalf("first Wait = %v, want [2 1 3], each once", got)
	}
	got = datas(wait(t, p, 8))
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("second Wait = %v, want [2 3]: both fired during the transfer", got)
	}
	if got := datas(wait(t, p, 8)); len(got) != 0 {
		t.Fatalf("third Wait = %v, want nothing", got)
	}
}
