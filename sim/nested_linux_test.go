package sim_test

import (
	"fmt"
	"strings"
	"testing"

	ep "github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/sim"
	"golang.org/x/sys/unix"
)

// nestedSide runs one nesting scenario and returns what each Wait saw.
type nestedSide interface {
	setup(outerMode, innerMode ep.Events) error
	write() error
	drain() error
	waitOuter() int
	waitInner() int
	close()
}

// epollBits translates the conditions and modes the scenarios use to
// epoll_event bits (eventpoll.Events values are the project's own).
func epollBits(ev ep.Events) uint32 {
	var b uint32
	for _, m := range []struct {
		ev  ep.Events
		bit uint32
	}{{ep.Readable, unix.EPOLLIN}, {ep.Writable, unix.EPOLLOUT}, {ep.EdgeTriggered, unix.EPOLLET}, {ep.OneShot, unix.EPOLLONESHOT}} {
		if ev&m.ev != 0 {
			b |= m.bit
			ev &^= m.ev
		}
	}
	if ev != 0 {
		panic("epollBits: no translation for " + ev.String())
	}
	return b
}

// linuxNested uses raw epoll descriptors, since the Poller API does not
// expose the epoll fd.
type linuxNested struct{ outer, inner, r, w int }

func (l *linuxNested) setup(om, im ep.Events) error {
	var err error
	if l.outer, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	if l.inner, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return err
	}
	l.r, l.w = p[0], p[1]
	if err := unix.EpollCtl(l.inner, unix.EPOLL_CTL_ADD, l.r, &unix.EpollEvent{Events: epollBits(ep.Readable | im), Fd: 1}); err != nil {
		return err
	}
	return unix.EpollCtl(l.outer, unix.EPOLL_CTL_ADD, l.inner, &unix.EpollEvent{Events: epollBits(ep.Readable | om), Fd: 2})
}

func (l *linuxNested) write() error { _, err := unix.Write(l.w, []byte("x")); return err }
func (l *linuxNested) drain() error {
	var b [64]byte
	_, err := unix.Read(l.r, b[:])
	return err
}

func (l *linuxNested) wait(fd int) int {
	var evs [4]unix.EpollEvent
	for {
		n, err := unix.EpollWait(fd, evs[:], 0)
		if err == unix.EINTR {
			continue
		}
		return n
	}
}

func (l *linuxNested) waitOuter() int { return l.wait(l.outer) }
func (l *linuxNested) waitInner() int { return l.wait(l.inner) }
func (l *linuxNested) close() {
	for _, fd := range []int{l.outer, l.inner, l.r, l.w} {
		unix.Close(fd)
	}
}

type simNested struct {
	k            *sim.Kernel
	outer, inner *sim.Poller
	r, w         int
}

func (s *simNested) setup(om, im ep.Events) error {
	s.k = sim.New(sim.Config{})
	o, _ := s.k.NewPoller("")
	i, _ := s.k.NewPoller("")
	s.outer, s.inner = o.(*sim.Poller), i.(*sim.Poller)
	s.r, s.w, _ = s.k.Pipe()
	if err := s.inner.Add(s.r, ep.Readable|im, 1); err != nil {
		return err
	}
	return s.outer.Add(s.inner.FD(), ep.Readable|om, 2)
}

func (s *simNested) write() error { _, err := s.k.Write(s.w, []byte("x")); return err }
func (s *simNested) drain() error {
	_, err := s.k.Read(s.r, make([]byte, 64))
	return err
}

func (s *simNested) waitOuter() int {
	n, _ := s.outer.Wait(make([]ep.Event, 4), 0)
	return n
}

func (s *simNested) waitInner() int {
	n, _ := s.inner.Wait(make([]ep.Event, 4), 0)
	return n
}

func (s *simNested) close() { s.outer.Close(); s.inner.Close() }

// TestNestedMatchesLinux runs the nesting cases of Linux's selftests
// (epoll17-58 style: an eventpoll inside an eventpoll, each LT or ET) as
// scripts of writes, reads and Waits on both kernels and requires the same
// counts at every Wait.
func TestNestedMatchesLinux(t *testing.T) {
	modes := map[string]ep.Events{"LT": 0, "ET": ep.EdgeTriggered, "ONESHOT": ep.OneShot}
	scripts := []string{
		"w O O I O",
		"w O w O O",
		"w I O w O I O",
		"O w O d O w w O I O",
		"w w O I I O d O",
	}
	for _, on := range []string{"LT", "ET", "ONESHOT"} {
		for _, in := range []string{"LT", "ET", "ONESHOT"} {
			for _, script := range scripts {
				name := fmt.Sprintf("outer=%s/inner=%s/%s", on, in, strings.ReplaceAll(script, " ", ""))
				var got [2]string
				for i, side := range []nestedSide{&linuxNested{}, &simNested{}} {
					if err := side.setup(modes[on], modes[in]); err != nil {
						t.Fatalf("%s: setup: %v", name, err)
					}
					var b strings.Builder
					for _, step := range strings.Fields(script) {
						switch step {
						case "w":
							side.write()
						case "d":
							side.drain()
						case "O":
							fmt.Fprintf(&b, "O%d ", side.waitOuter())
						case "I":
							fmt.Fprintf(&b, "I%d ", side.waitInner())
						}
					}
					side.close()
					got[i] = b.String()
				}
				if got[0] != got[1] {
					t.Errorf("%s: linux %q, sim %q", name, got[0], got[1])
				} else if testing.Verbose() {
					t.Logf("%s: %s", name, got[0])
				}
			}
		}
	}
}
