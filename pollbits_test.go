//go:build linux

package eventpoll

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestPollBitsNoRdhupTable: the translation darwin and the BSDs use for
// poll(2) (pollbits.go; there is no POLLRDHUP there), checked here because
// it is pure. Every request bit is asked only for the conditions that own
// it; every result combination the kernel can return maps to conditions.
func TestPollBitsNoRdhupTable(t *testing.T) {
	requests := []pollRequestCase{
		{0, 0},
		{Readable, unix.POLLIN},
		{Writable, unix.POLLOUT},
		{Priority, unix.POLLPRI},
		{ReadHangup, 0}, // nothing of its own: reported with POLLHUP
		{Readable | ReadHangup, unix.POLLIN},
		{Error | Hangup, 0}, // always reported
		{Readable | Writable | Priority | ReadHangup | Error | Hangup, unix.POLLIN | unix.POLLOUT | unix.POLLPRI},
		{Readable | EdgeTriggered | OneShot, unix.POLLIN}, // modes are not conditions
	}
	results := []pollResultCase{
		{"nothing", 0, 0},
		{"data", unix.POLLIN, Readable},
		{"peer shut down writing (no POLLRDHUP: end of file reads as data)", unix.POLLIN, Readable},
		{"room to write", unix.POLLOUT, Writable},
		{"out-of-band data", unix.POLLPRI, Priority},
		{"hangup, no data left", unix.POLLHUP, Hangup | ReadHangup},
		{"hangup with data left", unix.POLLIN | unix.POLLHUP, Readable | Hangup | ReadHangup},
		{"error", unix.POLLERR, Error},
		{"error and room to write", unix.POLLERR | unix.POLLOUT, Error | Writable},
		{"error and hangup", unix.POLLERR | unix.POLLHUP, Error | Hangup | ReadHangup},
		{"reset socket", unix.POLLIN | unix.POLLOUT | unix.POLLERR | unix.POLLHUP, Readable | Writable | Error | Hangup | ReadHangup},
		{"not open (handled before translating)", unix.POLLNVAL, 0},
		{"Linux's POLLRDHUP (never returned there)", unix.POLLRDHUP, 0},
	}
	checkPollBits(t, 0, requests, results)
	// The bits pollbits.go names are the ones poll(2) uses here too.
	for _, b := range [][2]int16{{pollIn, unix.POLLIN}, {pollPri, unix.POLLPRI}, {pollOut, unix.POLLOUT},
		{pollErr, unix.POLLERR}, {pollHup, unix.POLLHUP}, {pollNval, unix.POLLNVAL}} {
		if b[0] != b[1] {
			t.Errorf("poll bit %#x, want %#x", b[0], b[1])
		}
	}
}

// TestPollBitsNoRdhupKernel: the translation over what Linux's poll(2)
// returns when asked without POLLRDHUP, as darwin and the BSDs are asked: a
// pipe whose writer is gone is Hangup and ReadHangup (with Readable while
// data is left), a socket whose peer shut down only its writing side is
// Readable (and Writable) only, a socket shut down both ways is Readable,
// Hangup and ReadHangup. Those systems' kernels are expected to set the
// same bits; that is checked only there (docs/KQUEUE.md).
func TestPollBitsNoRdhupKernel(t *testing.T) {
	look := func(fd int, ev Events) Events {
		t.Helper()
		fds := []unix.PollFd{{Fd: int32(fd), Events: pollEventsBSD(ev, 0)}}
		if _, err := unix.Poll(fds, 0); err != nil {
			t.Fatalf("poll: %v", err)
		}
		return fromPollBSD(fds[0].Revents, 0)
	}
	all := Readable | Writable | ReadHangup

	r, w := testPipe(t)
	if got := look(r, all); got != 0 {
		t.Fatalf("empty pipe: %v, want nothing", got)
	}
	testWrite(t, w, "x")
	if got := look(r, all); got != Readable {
		t.Fatalf("pipe with data: %v, want Readable", got)
	}
	closeFD(w)
	if got := look(r, all); got != Readable|Hangup|ReadHangup {
		t.Fatalf("pipe with data, writer gone: %v, want Readable|Hangup|ReadHangup", got)
	}
	if got := look(r, ReadHangup); got != Hangup|ReadHangup {
		t.Fatalf("pipe with data, writer gone, ReadHangup asked: %v, want Hangup|ReadHangup", got)
	}
	var buf [4]byte
	if _, err := unix.Read(r, buf[:]); err != nil {
		t.Fatal(err)
	}
	if got := look(r, all); got != Hangup|ReadHangup {
		t.Fatalf("drained pipe, writer gone: %v, want Hangup|ReadHangup", got)
	}

	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range sp {
		testFDs.Store(fd, struct{}{})
		t.Cleanup(func() { closeFD(fd) })
	}
	if got := look(sp[0], all); got != Writable {
		t.Fatalf("idle socket: %v, want Writable", got)
	}
	if err := unix.Shutdown(sp[1], unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if got := look(sp[0], all); got != Readable|Writable {
		t.Fatalf("peer shut down writing: %v, want Readable|Writable (no ReadHangup without POLLRDHUP)", got)
	}
	if err := unix.Shutdown(sp[0], unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if got := look(sp[0], all); got&(Readable|Hangup|ReadHangup) != Readable|Hangup|ReadHangup {
		t.Fatalf("both directions shut down: %v, want Readable|Hangup|ReadHangup", got)
	}
}

// freebsdPollRdhup is FreeBSD's POLLRDHUP (x/sys/unix, FreeBSD's
// sys/poll.h), which is not Linux's.
const freebsdPollRdhup = 0x4000

// TestPollBitsRdhupTable: the translation of pollbits.go with a POLLRDHUP,
// as FreeBSD uses it where its kernel has one (pollrdhup_freebsd.go):
// ReadHangup asks for that bit, the bit reports ReadHangup alone, and the
// rest is as without it.
func TestPollBitsRdhupTable(t *testing.T) {
	const rd = freebsdPollRdhup
	requests := []pollRequestCase{
		{0, 0},
		{Readable, unix.POLLIN},
		{ReadHangup, rd},
		{Readable | ReadHangup, unix.POLLIN | rd},
		{Error | Hangup, 0},
		{Readable | Writable | Priority | ReadHangup | EdgeTriggered, unix.POLLIN | unix.POLLOUT | unix.POLLPRI | rd},
	}
	results := []pollResultCase{
		{"nothing", 0, 0},
		{"data", unix.POLLIN, Readable},
		{"peer shut down writing", unix.POLLIN | rd, Readable | ReadHangup},
		{"peer shut down writing, only ReadHangup asked", rd, ReadHangup},
		{"hangup", unix.POLLHUP, Hangup | ReadHangup},
		{"reset socket", unix.POLLIN | unix.POLLOUT | unix.POLLERR | unix.POLLHUP | rd, Readable | Writable | Error | Hangup | ReadHangup},
		{"another system's POLLRDHUP", unix.POLLRDHUP, 0},
	}
	checkPollBits(t, rd, requests, results)
}

// TestPollBitsRdhupProbe: the probe FreeBSD runs once to decide whether its
// poll(2) has POLLRDHUP finds Linux's, and not a bit that Linux's poll(2)
// does not know (FreeBSD's value), which a kernel without POLLRDHUP is
// expected to treat the same way.
func TestPollBitsRdhupProbe(t *testing.T) {
	if !rdhupProbe(unix.POLLRDHUP) {
		t.Error("rdhupProbe(POLLRDHUP) = false on Linux, want true")
	}
	if rdhupProbe(freebsdPollRdhup) {
		t.Errorf("rdhupProbe(%#x) = true on Linux, want false", freebsdPollRdhup)
	}
}

// pollRequestCase is the poll(2) request bits conditions ev ask for.
type pollRequestCase struct {
	ev   Events
	want int16
}

// pollResultCase is the conditions poll(2) result bits revents report.
type pollResultCase struct {
	name    string
	revents int16
	want    Events
}

// checkPollBits checks pollEventsBSD and fromPollBSD, with the POLLRDHUP bit
// rdhup (0: none), against the cases.
func checkPollBits(t *testing.T, rdhup int16, requests []pollRequestCase, results []pollResultCase) {
	t.Helper()
	for _, c := range requests {
		if got := pollEventsBSD(c.ev, rdhup); got != c.want {
			t.Errorf("pollEventsBSD(%v, %#x) = %#x, want %#x", c.ev, rdhup, got, c.want)
		}
	}
	for _, c := range results {
		if got := fromPollBSD(c.revents, rdhup); got != c.want {
			t.Errorf("%s: fromPollBSD(%#x, %#x) = %v, want %v", c.name, c.revents, rdhup, got, c.want)
		}
	}
}
