package eventpoll

import "strings"

// Events is a set of readiness conditions and registration modes. The bit
// values are the project's own, the same on every operating system; each
// backend translates them to and from its kernel's (epoll, poll, kqueue).
// Programs use the names, never the numbers.
type Events uint32

// Readiness conditions reported by Wait and requested by Add and Modify.
// The first five have the values of POLLIN, POLLPRI, POLLOUT, POLLERR and
// POLLHUP, which are the same on every Unix, so translating to and from
// poll(2) and epoll costs a mask and a shift (see events_linux.go).
const (
	// Readable: data (or a pending connection, or end of file) can be read.
	Readable Events = 1 << 0
	// Priority: urgent (out-of-band) data can be read.
	Priority Events = 1 << 1
	// Writable: a write would not block.
	Writable Events = 1 << 2
	// Error: an error is pending on the fd. Always reported, never needs asking for.
	Error Events = 1 << 3
	// Hangup: both directions are shut down or the peer is gone. Always
	// reported. Hangup is not end of file: read until a read returns 0.
	Hangup Events = 1 << 4
	// ReadHangup: the peer shut down its writing side (it sent FIN). Data it
	// sent before is still readable and the local side can still write.
	// Backends whose Capabilities.ReadHangup is false (poll and select on
	// darwin and most BSDs, whose poll(2) has no POLLRDHUP) report it only
	// with Hangup; there the peer's FIN shows as Readable, and a read
	// returns 0.
	ReadHangup Events = 1 << 5
)

// Registration modes, passed to Add and Modify together with conditions.
const (
	// EdgeTriggered reports a change of readiness once instead of reporting
	// for as long as the fd stays ready. A program that reads or writes until
	// the call fails with EAGAIN behaves the same on every backend.
	EdgeTriggered Events = 1 << 8
	// OneShot reports one event and then disables the registration until
	// Modify re-arms it. The fd stays registered: Add fails with EEXIST.
	OneShot Events = 1 << 9
	// Exclusive wakes only one of several pollers that watch the same fd
	// (epoll only, Add only; elsewhere Add fails with ErrUnsupported).
	Exclusive Events = 1 << 10
)

const (
	conditionMask = Readable | Priority | Writable | Error | Hangup | ReadHangup
	modeMask      = EdgeTriggered | OneShot | Exclusive
)

// Event is one readiness report: the conditions that hold and the data given
// to Add or Modify, returned unchanged.
type Event struct {
	Events Events
	Data   uint64
}

// ReservedData is the one Data value a registration may not use: backends
// mark their internal wake-up descriptor with it. Add and Modify refuse it
// with an error wrapping syscall.EINVAL.
const ReservedData = ^uint64(0)

var eventNames = []struct {
	bit  Events
	name string
}{
	{Readable, "readable"},
	{Priority, "priority"},
	{Writable, "writable"},
	{Error, "error"},
	{Hangup, "hangup"},
	{ReadHangup, "read-hangup"},
	{EdgeTriggered, "edge"},
	{OneShot, "oneshot"},
	{Exclusive, "exclusive"},
}

// String lists the set bits by name, joined with "|", for logs and test failures.
func (e Events) String() string {
	if e == 0 {
		return "0"
	}
	var b strings.Builder
	for _, n := range eventNames {
		if e&n.bit != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n.name)
			e &^= n.bit
		}
	}
	if e != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x")
		b.WriteString(strings.ToLower(hex32(uint32(e))))
	}
	return b.String()
}

func hex32(v uint32) string {
	const digits = "0123456789abcdef"
	var buf [8]byte
	i := len(buf)
	for {
		i--
		buf[i] = digits[v&0xf]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return string(buf[i:])
}
