package reactor

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/eventpoll/eventpoll/internal/uring"
	"golang.org/x/sys/unix"
)

// The completion engine (EngineCompletion): each loop owns an io_uring
// ring and drives its sockets with requests instead of readiness events.
//
//   - A listening socket has one multishot accept request; every completion
//     is a new connection, handed to a loop as the readiness engine does.
//   - A connection has one multishot receive request with buffer select:
//     the kernel copies arriving bytes into a buffer it takes from the
//     loop's provided-buffer ring, and the completion names the buffer.
//     OnData sees the bytes in that buffer; the buffer goes back to the
//     ring when OnData returns (bytes the handler leaves are copied to the
//     connection's own buffer, as with the shared read buffer). An idle
//     connection therefore holds no buffer.
//   - Output is queued as in the readiness engine and sent with one send
//     (one buffer) or sendmsg (several) request in flight per connection;
//     its completion consumes what was sent and submits the rest.
//   - Every request's user data packs the descriptor, an operation and the
//     generation of the registration (sends: a slot number), so a
//     completion for a closed descriptor never reaches the connection that
//     reuses its number.
//   - Other goroutines wake the loop by writing an eventfd that has a read
//     request pending.
//   - Each iteration submits what the previous one queued and collects
//     completions with one io_uring_enter that does not wait (a raw system
//     call, so the Go scheduler does not hand the loop's P off); only when
//     that finds nothing does a second one wait for a completion or the
//     next timer. Then it handles the completions, tasks, timers and dirty
//     connections as the readiness loop does.

// Request kinds in bits 24-31 of the user data.
const (
	uopAccept  = 1 + iota // listener: multishot accept
	uopRecv               // connection: multishot receive
	uopSend               // send slot in bits 0-23
	uopConnect            // connection: poll for the end of a connect
	uopPacket             // datagram socket: one-shot poll for input
	uopWake               // the eventfd read
	uopCancel             // a cancellation (its completion is ignored)
	uopWatch              // connection: multishot poll for errors while not receiving
)

// uringMaxFD bounds the descriptors the 24 bits of user data can name.
const uringMaxFD = 1 << 24

// Ring and buffer sizes of one loop.
const (
	uringSQEntries  = 1024
	uringCQEntries  = 8192
	uringBufEntries = 256
	uringBufGroup   = 0
	uringMaxIov     = 64 // buffers per sendmsg
)

func uringData(fd int, op uint8, gen uint32) uint64 {
	return uint64(uint32(fd)&(uringMaxFD-1)) | uint64(op)<<24 | uint64(gen)<<32
}

// uringConn is a connection's completion-engine state: the send slot in
// flight, and the bytes delivered in iteration rdIter (the read budget).
type uringConn struct {
	uslot   int32
	rdIter  uint32
	rdBytes int32
}

// uringLoop is a loop's completion engine.
type uringLoop struct {
	ring  *uring.Ring
	bufs  *uring.BufRing
	wa    *uring.WaitArg
	cqes  []uring.CQE
	iter  uint32 // iterations, for the per-connection read budget
	slots []*sendSlot
	free  []int32 // unused slots

	efd     int         // eventfd the loop's read request waits on
	wakeBuf [8]byte     // where that read lands
	woken   atomic.Bool // a wake is written and not yet consumed
	wmu     sync.Mutex  // orders wake writes against closing efd
}

// sendSlot holds what the kernel reads during one send request: the
// connection (whose queued buffers stay put until the completion) and the
// message header and vector of a sendmsg.
type sendSlot struct {
	c   *Conn
	msg unix.Msghdr
	iov [uringMaxIov]unix.Iovec
}

// completionProbe is the answer of completionUnavailable, found once per
// process.
var completionProbe = sync.OnceValue(probeCompletion)

// completionUnavailable returns why the completion engine cannot run here
// (nil when it can): io_uring_setup refused (ENOSYS, EPERM under seccomp
// or kernel.io_uring_disabled), an operation the engine uses missing from
// IORING_REGISTER_PROBE, no provided-buffer rings (before 5.19), or no
// multishot receive (before 6.0: tried on a socket pair).
func completionUnavailable() error { return completionProbe() }

func probeCompletion() error {
	// A single-issuer ring takes submissions from its creating thread only.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := uring.NewTaskrun(4, uring.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := r.Probe()
	if err != nil {
		return err
	}
	ops := []struct {
		op   uint8
		name string
	}{
		{uring.OpAccept, "ACCEPT"}, {uring.OpRecv, "RECV"}, {uring.OpSend, "SEND"},
		{uring.OpSendmsg, "SENDMSG"}, {uring.OpAsyncCancel, "ASYNC_CANCEL"},
		{uring.OpRead, "READ"}, {uring.OpPollAdd, "POLL_ADD"},
	}
	for _, o := range ops {
		if !p.Supported(o.op) {
			return fmt.Errorf("the kernel lacks IORING_OP_%s", o.name)
		}
	}
	b, err := uring.NewBufRing(r, 1, 1, 64)
	if err != nil {
		return err
	}
	defer b.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("probing multishot receive: %w", err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	r.NextSQE().PrepRecvMultishot(fds[0], 1, 1)
	if _, err := unix.Write(fds[1], []byte{1}); err != nil {
		return fmt.Errorf("probing multishot receive: %w", err)
	}
	wa := uring.NewWaitArg()
	var cqe [1]uring.CQE
	for deadline := time.Now().Add(time.Second); r.Peek(cqe[:]) == 0; {
		if time.Now().After(deadline) {
			return errors.New("probing multishot receive: no completion")
		}
		if _, err := r.Enter(r.Flush(), 1, 100*time.Millisecond, wa); err != nil &&
			!errors.Is(err, unix.ETIME) && !errors.Is(err, unix.EINTR) {
			return err
		}
	}
	if cqe[0].Res != 1 || !cqe[0].More() {
		return fmt.Errorf("the kernel lacks multishot receive (Linux 6.0): probe completed with res %d flags %#x", cqe[0].Res, cqe[0].Flags)
	}
	return nil
}

// newCompletionLoop makes a loop of the completion engine. Its ring starts
// disabled; the loop goroutine enables it (runCompletion), becoming the
// ring's single issuer.
func newCompletionLoop(s *Server, id int) (*Loop, error) {
	cfg := &s.cfg
	r, err := uring.NewTaskrun(uringSQEntries, uring.Options{CQEntries: uringCQEntries, Flags: uring.SetupRDisabled})
	if err != nil {
		return nil, err
	}
	size := min(max(cfg.readBuf/4, 4<<10), 64<<10)
	bufs, err := uring.NewBufRing(r, uringBufGroup, uringBufEntries, size)
	if err != nil {
		r.Close()
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		bufs.Close()
		r.Close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	l := &Loop{
		s:       s,
		cfg:     cfg,
		id:      id,
		k:       cfg.k,
		edge:    true, // no registration to change; requeue resumes reading
		buf:     make([]byte, cfg.readBuf),
		reserve: -1,
		ur: &uringLoop{
			ring: r,
			bufs: bufs,
			wa:   uring.NewWaitArg(),
			cqes: make([]uring.CQE, 512),
			efd:  efd,
		},
	}
	if fd, err := cfg.k.ReserveFD(); err == nil {
		l.reserve = fd
	}
	return l, nil
}

// runCompletion is the completion engine's loop.
func (l *Loop) runCompletion() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer l.exit()
	ur := l.ur
	if err := ur.ring.Enable(); err != nil {
		l.cfg.log.Error("reactor: cannot enable the io_uring ring; closing the loop", "loop", l.id, "err", err)
		l.closeAll(err)
		return
	}
	l.armWake()
	l.now = l.clock()
	for {
		timeout, wait := time.Duration(-1), uint32(1)
		if len(l.again) > 0 {
			wait = 0
		} else if len(l.timers) > 0 {
			timeout = max(time.Duration(l.timers[0].when-l.clock()), 0)
			if timeout == 0 {
				wait, timeout = 0, -1
			}
		}
		l.tlsYield()
		ur.bufs.Publish()
		// First submit and collect without waiting, as a raw system call
		// (it cannot block): on a busy loop it finds completions, and the
		// wait never goes through the Go scheduler's hand-off of a call
		// that may block. Only when nothing completed does the loop wait,
		// in an ordinary system call.
		_, err := ur.ring.Submit(ur.ring.Flush(), uring.EnterGetEvents)
		if err == nil && wait > 0 && ur.ring.CQReady() == 0 {
			_, err = ur.ring.Enter(ur.ring.Flush(), wait, timeout, ur.wa)
		}
		if err != nil && !errors.Is(err, unix.ETIME) && !errors.Is(err, unix.EINTR) &&
			!errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.EAGAIN) {
			l.cfg.log.Error("reactor: io_uring_enter failed; closing the loop", "loop", l.id, "err", err)
			l.closeAll(err)
			return
		}
		ur.iter++
		l.now = l.clock()
		l.reap()
		if l.endIteration() {
			return
		}
	}
}

// reap handles every completion in the queue.
func (l *Loop) reap() {
	ur := l.ur
	for {
		n := ur.ring.Peek(ur.cqes)
		for i := 0; i < n; i++ {
			l.complete(&ur.cqes[i])
		}
		if n < len(ur.cqes) {
			return
		}
	}
}

// complete dispatches one completion.
func (l *Loop) complete(cqe *uring.CQE) {
	ud := cqe.UserData
	op := uint8(ud >> 24)
	fd := int(ud & (uringMaxFD - 1))
	gen := uint32(ud >> 32)
	switch op {
	case uopWake:
		l.ur.woken.Store(false)
		l.armWake()
		return
	case uopCancel:
		return
	case uopSend:
		l.sendDone(fd, cqe.Res)
		return
	}
	var e *fdEntry
	if fd < len(l.fds) && l.fds[fd].gen == gen {
		e = &l.fds[fd]
	}
	switch {
	case op == uopRecv && e != nil && e.c != nil:
		l.recvDone(e.c, cqe)
	case op == uopWatch && e != nil && e.c != nil:
		l.watchDone(e.c, cqe)
	case op == uopConnect && e != nil && e.c != nil:
		c := e.c
		c.uops &^= uringConnecting
		if c.state == stateConnecting {
			l.finishConnect(c)
		}
	case op == uopAccept && e != nil && e.ln != nil:
		l.acceptDone(e.ln, cqe)
	case op == uopPacket && e != nil && e.ln != nil && e.ln.pc != nil:
		a := e.ln
		l.readPackets(a.pc)
		if !a.closed && !a.paused && a.gen == gen {
			l.sqe().PrepPollAdd(a.fd, unix.POLLIN, 0, uringData(a.fd, uopPacket, a.gen))
		}
	default:
		l.stale.Add(1)
		if id, ok := cqe.BufferID(); ok {
			l.ur.bufs.Add(id)
		}
		if op == uopAccept && cqe.Res >= 0 {
			l.k.Close(int(cqe.Res)) // accepted for a listener that is gone
		}
	}
}

// sqe returns a free submission entry, submitting the queue first when it
// is full (a system call beyond the one per iteration, only then).
func (l *Loop) sqe() *uring.SQE {
	r := l.ur.ring
	for {
		if s := r.NextSQE(); s != nil {
			return s
		}
		l.ur.bufs.Publish()
		if _, err := r.Submit(r.Flush(), uring.EnterGetEvents); err != nil && !errors.Is(err, unix.EBUSY) {
			panic(fmt.Sprintf("reactor: io_uring submission queue full and submit failed: %v", err))
		}
	}
}

// armWake queues the read of the wake-up eventfd.
func (l *Loop) armWake() {
	l.sqe().PrepRead(l.ur.efd, l.ur.wakeBuf[:], uringData(0, uopWake, 0))
}

// uringWake wakes the loop from any goroutine: many wakes before the loop
// consumes one cost one eventfd write.
func (l *Loop) uringWake() {
	ur := l.ur
	if !ur.woken.CompareAndSwap(false, true) {
		return
	}
	ur.wmu.Lock()
	if ur.efd >= 0 {
		one := [8]byte{1}
		unix.Write(ur.efd, one[:])
	}
	ur.wmu.Unlock()
}

// uringClose submits what is queued (cancellations and closes included),
// closes the ring and the eventfd, and returns the output buffers of sends
// that were still in flight.
func (l *Loop) uringClose() {
	ur := l.ur
	if ur.ring == nil {
		return
	}
	if n := ur.ring.Flush(); n > 0 {
		ur.ring.Submit(n, 0)
	}
	ur.bufs.Close()
	ur.ring.Close()
	ur.ring = nil
	ur.wmu.Lock()
	unix.Close(ur.efd)
	ur.efd = -1
	ur.wmu.Unlock()
	for _, s := range ur.slots {
		if s.c != nil {
			s.c.uops &^= uringSending
			s.c.out.release()
			s.c = nil
		}
	}
}

// uringAddConn tracks a new connection and arms its first request: the
// receive, or a poll for the end of its connect.
func (l *Loop) uringAddConn(c *Conn) error {
	if c.fd >= uringMaxFD {
		return fmt.Errorf("descriptor %d beyond the completion engine's %d", c.fd, uringMaxFD)
	}
	c.gen = l.nextGen(c.fd)
	l.fds[c.fd] = fdEntry{gen: c.gen, c: c}
	if c.state == stateConnecting {
		c.uops |= uringConnecting
		l.sqe().PrepPollAdd(c.fd, unix.POLLOUT, 0, uringData(c.fd, uopConnect, c.gen))
		return nil
	}
	l.uringInterest(c)
	return nil
}

// uringInterest arms the connection's receive when it should read (open
// and not paused, or closing and discarding until the peer's FIN) and
// cancels it when it should not.
func (l *Loop) uringInterest(c *Conn) {
	if c.state == stateClosed || c.state == stateConnecting {
		return
	}
	want := !c.eof && c.uops&uringEOF == 0 && (c.state != stateOpen || !c.paused)
	armed := c.uops&uringRecv != 0
	switch {
	case want && !armed:
		c.uops |= uringRecv
		l.sqe().PrepRecvMultishot(c.fd, uringBufGroup, uringData(c.fd, uopRecv, c.gen))
	case !want && armed && c.uops&uringRecvCancel == 0:
		c.uops |= uringRecvCancel
		l.sqe().PrepCancel(uringData(c.fd, uopRecv, c.gen), 0, uringData(0, uopCancel, 0))
	}
	// While not receiving, a multishot poll reports a reset or hangup, as
	// the readiness engine's registration does (its first completion may
	// be the peer's FIN, which it ignores).
	if !want && c.uops&uringWatch == 0 {
		c.uops |= uringWatch
		l.sqe().PrepPollAdd(c.fd, unix.POLLERR|unix.POLLHUP, uring.PollAddMulti, uringData(c.fd, uopWatch, c.gen))
	} else if want && c.uops&uringWatch != 0 {
		c.uops &^= uringWatch
		l.sqe().PrepCancel(uringData(c.fd, uopWatch, c.gen), 0, uringData(0, uopCancel, 0))
	}
}

// watchDone handles a completion of the error poll: an error or hangup
// closes a connection that neither reading (finished or paused) nor
// writing (nothing in flight) will see it on.
func (l *Loop) watchDone(c *Conn, cqe *uring.CQE) {
	if cqe.Res == -int32(unix.ECANCELED) {
		return // cancelled by uringInterest, which cleared the bit
	}
	if !cqe.More() {
		c.uops &^= uringWatch
	}
	if cqe.Res > 0 && cqe.Res&(unix.POLLERR|unix.POLLHUP) != 0 && c.state != stateClosed && !c.wantWrite {
		err := l.k.SocketError(c.fd)
		l.closeConn(c, wrapOp("socket", err), false)
		return
	}
	if c.uops&uringWatch == 0 {
		l.uringInterest(c)
	}
}

// recvDone handles a completion of the connection's receive.
func (l *Loop) recvDone(c *Conn, cqe *uring.CQE) {
	if !cqe.More() {
		c.uops &^= uringRecv | uringRecvCancel
	}
	if id, ok := cqe.BufferID(); ok {
		if cqe.Res > 0 {
			l.uringInput(c, l.ur.bufs.Buf(id)[:cqe.Res])
		}
		l.ur.bufs.Add(id) // OnData has returned; leftovers were copied
	}
	switch res := cqe.Res; {
	case c.state == stateClosed:
		return
	case res == 0:
		if c.stash {
			c.uops |= uringEOF // after the bytes still to deliver
			return
		}
		l.readEOF(c)
		return
	case res < 0 && res != -int32(unix.ENOBUFS) && res != -int32(unix.ECANCELED):
		l.closeConn(c, wrapOp("read", syscall.Errno(-res)), false)
		return
	}
	if c.uops&uringRecv == 0 {
		l.uringInterest(c) // the request ended (no buffer left, or cancelled): re-arm if due
	}
}

// uringInput delivers received bytes, or keeps them for later (stash)
// while the connection is paused or over its read budget for this
// iteration.
func (l *Loop) uringInput(c *Conn, p []byte) {
	c.lastActive = l.now
	if c.state != stateOpen || c.rdShut {
		return // closing: input is discarded
	}
	ur := l.ur
	if c.ur.rdIter != ur.iter {
		c.ur.rdIter, c.ur.rdBytes = ur.iter, 0
	}
	if c.paused || c.stash || int(c.ur.rdBytes) >= l.cfg.budget {
		appendIn(c, p)
		c.stash = true
		if !c.paused {
			l.requeue(c)
		}
		return
	}
	c.ur.rdBytes += int32(len(p))
	if c.inBuf != nil {
		appendIn(c, p)
	} else {
		c.in = p
	}
	l.callData(c)
	l.afterData(c)
}

// appendIn copies p after the connection's unconsumed bytes, into its own
// buffer.
func appendIn(c *Conn, p []byte) {
	if c.inBuf == nil {
		b := getBuf(max(len(c.in)+len(p), minBufSize))
		n := copy(*b, c.in)
		n += copy((*b)[n:], p)
		c.in = (*b)[:n]
		c.inBuf = b
		return
	}
	for len(p) > 0 {
		free := c.readSpace(len(p))
		k := copy(free, p)
		c.in = c.in[:len(c.in)+k]
		p = p[k:]
	}
}

// uringAgain delivers the bytes kept while the connection was paused or
// over budget (those over budget in a later iteration than the one that
// received them, after the other connections' completions), then a
// deferred end of file, and re-arms the receive.
func (l *Loop) uringAgain(c *Conn) {
	if c.stash && c.state == stateOpen && !c.paused && !c.rdShut {
		if c.ur.rdIter == l.ur.iter && int(c.ur.rdBytes) >= l.cfg.budget {
			l.requeue(c) // the loop polls the ring without waiting, then delivers
			return
		}
		c.ur.rdIter, c.ur.rdBytes = l.ur.iter, int32(len(c.in))
		l.callData(c)
		if !l.afterData(c) {
			return
		}
	}
	if c.uops&uringEOF != 0 && !c.stash && c.state != stateClosed {
		c.uops &^= uringEOF
		l.readEOF(c)
		return
	}
	l.uringInterest(c)
}

// uringSend submits the connection's queued output unless a send is in
// flight: send for one buffer, sendmsg for several. wantWrite stays set
// until the completion, so that settle and Flush wait for it.
func (l *Loop) uringSend(c *Conn) {
	if c.uops&uringSending != 0 || c.out.n == 0 || c.state == stateConnecting || c.state == stateClosed {
		return
	}
	ur := l.ur
	var idx int32
	if n := len(ur.free); n > 0 {
		idx = ur.free[n-1]
		ur.free = ur.free[:n-1]
	} else {
		idx = int32(len(ur.slots))
		ur.slots = append(ur.slots, new(sendSlot))
	}
	s := ur.slots[idx]
	s.c = c
	ud := uringData(int(idx), uopSend, 0)
	p := c.out.pending()
	if len(p) == 1 {
		l.sqe().PrepSend(c.fd, p[0], unix.MSG_NOSIGNAL, ud)
	} else {
		n := min(len(p), uringMaxIov)
		for i, b := range p[:n] {
			s.iov[i].Base = unsafe.SliceData(b)
			s.iov[i].SetLen(len(b))
		}
		s.msg = unix.Msghdr{Iov: &s.iov[0]}
		s.msg.SetIovlen(n)
		l.sqe().PrepSendmsg(c.fd, &s.msg, unix.MSG_NOSIGNAL, ud)
	}
	c.uops |= uringSending
	c.ur.uslot = idx
	c.wantWrite = true
}

// sendDone handles the completion of the send in slot idx: what was sent
// leaves the queue, the rest is submitted, and the connection settles
// (backpressure released, a close completed). A connection closed
// meanwhile gets its buffers back only now.
func (l *Loop) sendDone(idx int, res int32) {
	ur := l.ur
	s := ur.slots[idx]
	c := s.c
	s.c = nil
	for i := range s.iov {
		if s.iov[i].Base == nil {
			break
		}
		s.iov[i] = unix.Iovec{}
	}
	ur.free = append(ur.free, int32(idx))
	if c == nil {
		return
	}
	c.uops &^= uringSending
	if c.state == stateClosed {
		c.out.release()
		return
	}
	c.wantWrite = false
	if res < 0 {
		l.closeConn(c, wrapOp("write", syscall.Errno(-res)), false)
		return
	}
	if res > 0 {
		c.out.consume(int(res))
		c.lastActive = l.now
	}
	l.flush(c) // submits the rest; never fails on this engine
	l.settle(c)
}

// uringCancel cancels the requests of fd's registration before it is
// closed.
func (l *Loop) uringCancel(fd int) {
	if fd >= len(l.fds) {
		return
	}
	e := l.fds[fd]
	cancel := func(op uint8, idx int) {
		l.sqe().PrepCancel(uringData(idx, op, e.gen), 0, uringData(0, uopCancel, 0))
	}
	switch {
	case e.c != nil:
		c := e.c
		if c.uops&uringRecv != 0 && c.uops&uringRecvCancel == 0 {
			cancel(uopRecv, fd)
		}
		if c.uops&uringConnecting != 0 {
			cancel(uopConnect, fd)
		}
		if c.uops&uringWatch != 0 {
			cancel(uopWatch, fd)
		}
		if c.uops&uringSending != 0 {
			l.sqe().PrepCancel(uringData(int(c.ur.uslot), uopSend, 0), 0, uringData(0, uopCancel, 0))
		}
		c.uops &^= uringRecv | uringRecvCancel | uringConnecting | uringEOF | uringWatch
	case e.ln != nil && e.ln.pc != nil:
		cancel(uopPacket, fd)
	case e.ln != nil:
		cancel(uopAccept, fd)
	}
}

// uringCloseFD closes a descriptor after submitting the queue, which holds
// its cancellations and may hold requests naming it: once closed, its
// number may be reused at once by another loop's accept.
func (l *Loop) uringCloseFD(fd int, abort bool) {
	r := l.ur.ring
	if r != nil && r.Unsubmitted() > 0 {
		l.ur.bufs.Publish()
		r.Submit(r.Flush(), 0)
	}
	if abort {
		l.k.Abort(fd)
	} else {
		l.k.Close(fd)
	}
}

// uringArmListener tracks a listening socket and arms its multishot
// accept (a datagram socket: a poll for input).
func (l *Loop) uringArmListener(a *listenFD) {
	if a.fd >= uringMaxFD {
		l.cfg.log.Error("reactor: cannot serve listener", "addr", a.ln.addr, "err", fmt.Errorf("descriptor %d beyond %d", a.fd, uringMaxFD))
		l.closeListener(a)
		return
	}
	a.gen = l.nextGen(a.fd)
	l.fds[a.fd] = fdEntry{gen: a.gen, ln: a}
	if a.pc != nil {
		l.sqe().PrepPollAdd(a.fd, unix.POLLIN, 0, uringData(a.fd, uopPacket, a.gen))
		return
	}
	l.sqe().PrepAcceptMultishot(a.fd, uringData(a.fd, uopAccept, a.gen))
}

// acceptDone handles a completion of a listener's multishot accept, with
// the readiness engine's rules for errors: EMFILE and its kind shed one
// connection with the reserve descriptor and pause the listener; a
// connection aborted before it was taken is skipped.
func (l *Loop) acceptDone(a *listenFD, cqe *uring.CQE) {
	res := cqe.Res
	if res >= 0 {
		a.backoff = 0
		l.handOff(a, int(res), a.ln.network != "unix")
	} else {
		err := syscall.Errno(-res)
		switch err {
		case syscall.ECANCELED:
			return
		case syscall.ECONNABORTED, syscall.EPROTO, syscall.EINTR, syscall.EAGAIN:
		case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM:
			l.shed(a)
			l.pauseAccept(a, err)
			return
		default:
			l.pauseAccept(a, err)
			return
		}
	}
	if !cqe.More() && !a.closed && !a.paused {
		l.sqe().PrepAcceptMultishot(a.fd, uringData(a.fd, uopAccept, a.gen))
	}
}
