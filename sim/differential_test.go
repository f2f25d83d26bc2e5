package sim_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"syscall"
	"testing"
	"time"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/sim"
)

// diffWorld is one kernel under the differential test: a poller and the
// ends of a few pipes and socket pairs, addressed by index so that fd
// numbers (which differ between kernels) never matter.
type diffWorld struct {
	k    ep.Kernel
	p    ep.Poller
	fds  []int
	open []bool
	sock []bool // the end is a socket (for shutdown)
	obj  []int  // the pipe or socket pair the end belongs to
}

func newDiffWorld(k ep.Kernel, kinds []bool, tcp bool) (*diffWorld, error) {
	p, err := k.NewPoller("")
	if err != nil {
		return nil, err
	}
	w := &diffWorld{k: k, p: p}
	for _, sock := range kinds {
		var a, b int
		switch {
		case sock && tcp:
			a, b, err = tcpPair(k)
		case sock:
			a, b, err = k.Socketpair()
		default:
			a, b, err = k.Pipe()
		}
		if err != nil {
			return nil, err
		}
		w.fds = append(w.fds, a, b)
		w.open = append(w.open, true, true)
		w.sock = append(w.sock, sock, sock)
		w.obj = append(w.obj, len(w.obj)/2, len(w.obj)/2)
	}
	return w, nil
}

// tcpPair connects two TCP sockets over loopback.
func tcpPair(k ep.Kernel) (int, int, error) {
	ln, err := k.Listen("tcp4", "127.0.0.1:0", ep.ListenOptions{})
	if err != nil {
		return -1, -1, err
	}
	defer k.Close(ln)
	addr, _ := k.LocalAddr(ln)
	c, err := k.Connect("tcp4", addr.String())
	if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
		return -1, -1, err
	}
	for range 1000 {
		s, err := k.Accept(ln)
		if err == nil {
			// Let the handshake settle on the connecting side too. No
			// Nagle: small writes must leave at once, as in sim.
			time.Sleep(time.Millisecond)
			k.SetNoDelay(c, true)
			k.SetNoDelay(s, true)
			return c, s, k.SocketError(c)
		}
		if !errors.Is(err, syscall.EAGAIN) {
			return -1, -1, err
		}
		time.Sleep(time.Millisecond)
	}
	return -1, -1, errors.New("no connection")
}

func (w *diffWorld) close() {
	w.p.Close()
	for i, fd := range w.fds {
		if w.open[i] {
			w.k.Close(fd)
		}
	}
}

func errStr(err error) string {
	if err == nil {
		return "ok"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return sim.ErrnoName(e)
	}
	return err.Error()
}

// diffOp is one operation, applied to both worlds.
type diffOp struct {
	kind  int
	end   int
	ev    ep.Events
	n     int
	how   int
	max   int
	descr string
}

func (w *diffWorld) apply(op diffOp) string {
	fd := w.fds[op.end]
	switch op.kind {
	case 0:
		return errStr(w.p.Add(fd, op.ev, uint64(op.end)))
	case 1:
		return errStr(w.p.Modify(fd, op.ev, uint64(op.end)))
	case 2:
		return errStr(w.p.Delete(fd))
	case 3:
		n, err := w.k.Write(fd, make([]byte, op.n))
		return fmt.Sprintf("%d %s", n, errStr(err))
	case 4:
		n, err := w.k.Read(fd, make([]byte, op.n))
		return fmt.Sprintf("%d %s", n, errStr(err))
	case 5:
		w.open[op.end] = false
		return errStr(w.k.Close(fd))
	case 6:
		return errStr(w.k.Shutdown(fd, op.how))
	case 8:
		d, err := w.k.Dup(fd)
		if err == nil {
			w.fds = append(w.fds, d)
			w.open = append(w.open, true)
			w.sock = append(w.sock, w.sock[op.end])
			w.obj = append(w.obj, w.obj[op.end])
		}
		return errStr(err)
	default:
		evs := make([]ep.Event, op.max)
		n, err := w.p.Wait(evs, 0)
		var b strings.Builder
		fmt.Fprintf(&b, "%d %s", n, errStr(err))
		for _, e := range evs[:n] {
			fmt.Fprintf(&b, " {%v %d}", e.Events, e.Data)
		}
		return b.String()
	}
}

// genOp draws an operation on an open end; ok is false when every end is
// closed.
func genOp(rng *rand.Rand, socks []bool, open []bool, objs []int) (op diffOp, ok bool) {
	var ends []int
	for i, o := range open {
		if o {
			ends = append(ends, i)
		}
	}
	if len(ends) == 0 {
		return op, false
	}
	end := ends[rng.Intn(len(ends))]
	sock := socks[end]
	conds := []ep.Events{ep.Readable, ep.Writable, ep.Readable | ep.Writable, ep.Readable | ep.ReadHangup, 0}
	modes := []ep.Events{0, 0, ep.EdgeTriggered, ep.OneShot, ep.EdgeTriggered | ep.OneShot}
	op = diffOp{end: end}
	switch r := rng.Intn(100); {
	case r < 12:
		op.kind, op.ev = 0, conds[rng.Intn(len(conds))]|modes[rng.Intn(len(modes))]
	case r < 20:
		op.kind, op.ev = 1, conds[rng.Intn(len(conds))]|modes[rng.Intn(len(modes))]
	case r < 24:
		op.kind = 2
	case r < 42:
		op.kind, op.n = 3, 1+rng.Intn(300)
	case r < 58:
		op.kind, op.n = 4, 1+rng.Intn(400)
	case r < 60:
		op.kind = 5
	case r < 63 && sock:
		op.kind, op.how = 6, []int{syscall.SHUT_RD, syscall.SHUT_WR, syscall.SHUT_RDWR}[rng.Intn(3)]
	case r < 66 && len(open) < 24:
		op.kind = 8
	default:
		op.kind, op.max = 7, 1+rng.Intn(6)
	}
	op.descr = fmt.Sprintf("%s end %d (%s %d) ev=%v n=%d how=%d max=%d",
		[]string{"add", "modify", "delete", "write", "read", "close", "shutdown", "wait", "dup"}[op.kind],
		end, map[bool]string{false: "pipe", true: "socket"}[sock], objs[end], op.ev, op.n, op.how, op.max)
	return op, true
}

// TestDifferentialLinux applies one random sequence of operations on pipes
// and socket pairs (add, modify, delete in LT, ET and one-shot, writes,
// reads, shutdowns, dups, closes, waits) to Linux epoll through the host kernel
// and to sim, and requires every result to be identical: the same errors,
// byte counts, events, data and order. The traffic stays far below buffer
// limits, where the two account differently.
func TestDifferentialLinux(t *testing.T) {
	differential(t, false, 300, 200)
}

// TestDifferentialLinuxTCP is TestDifferentialLinux with TCP connections
// over loopback instead of socket pairs (TCP_NODELAY, small traffic: Linux
// delivers a loopback write before the call returns).
func TestDifferentialLinuxTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps after each FIN (about 6 s); skipped with -short")
	}
	differential(t, true, *diffTCPRuns, 200)
}

// diffTCPRuns is how many TCP sequences run (each sleeps 60 ms after
// every shutdown and close).
var diffTCPRuns = flag.Int("difftcp", 20, "number of TCP sequences TestDifferentialLinuxTCP runs")

func differential(t *testing.T, tcp bool, runs, steps int) {
	for run := range runs {
		rng := rand.New(rand.NewSource(int64(run)))
		kinds := make([]bool, 2+rng.Intn(4))
		for i := range kinds {
			kinds[i] = rng.Intn(2) == 0
		}
		host, err := newDiffWorld(ep.Host(), kinds, tcp)
		if err != nil {
			t.Skipf("host kernel: %v", err)
		}
		sw, err := newDiffWorld(sim.New(sim.Config{}), kinds, tcp)
		if err != nil {
			host.close()
			t.Fatal(err)
		}
		var log []string
		written := make(map[int]int)
		for step := range steps {
			op, ok := genOp(rng, host.sock, host.open, host.obj)
			if !ok {
				break
			}
			if op.kind == 3 {
				// At most 8 KB into each pipe or socket pair, dups
				// included: far below every limit.
				obj := host.obj[op.end]
				if written[obj]+op.n > 8192 {
					continue
				}
				written[obj] += op.n
			}
			a, b := host.apply(op), sw.apply(op)
			if tcp && host.sock[op.end] && (op.kind == 5 || op.kind == 6) {
				// Linux acknowledges a FIN with a delayed ACK (about 40
				// ms), whose arrival wakes the socket again (FIN_WAIT1 ->
				// FIN_WAIT2); sim acknowledges at once. Let it arrive.
				time.Sleep(60 * time.Millisecond)
			}
			log = append(log, fmt.Sprintf("%3d %-70s linux: %s", step, op.descr, a))
			if a != b {
				host.close()
				sw.close()
				if len(log) > 200 {
					log = log[len(log)-200:]
				}
				t.Fatalf("run %d step %d: %s\n  linux: %s\n  sim:   %s\nlast operations:\n%s", run, step, op.descr, a, b, strings.Join(log, "\n"))
			}
		}
		host.close()
		sw.close()
	}
}
