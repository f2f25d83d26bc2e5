package reactor

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

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
	uopQuiesce            // the cancellation of every request when the loop ends
)

// uringQuiesceWait bounds how long a closing loop waits for the kernel to
// cancel its requests.
const uringQuiesceWait = time.Second

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

	quiesced int // requests the closing cancellation ended (-1: it did not complete)
}

// sendSlot holds what the kernel reads during one send request: the
// connection (whose queued buffers stay put until the completion) and the
// message header and vector of a sendmsg.
type sendSlot struct {
	c   *Conn
	msg unix.Msghdr
	iov [uringMaxIov]unix.Iovec
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
// cancels every request still in the kernel and waits for that (uringQuiesce),
// closes the ring and the eventfd, and returns the output buffers of sends
// that were still in flight: once the cancellation has completed, no request
// reads or writes this loop's memory.
func (l *Loop) uringClose() {
	ur := l.ur
	if ur.ring == nil {
		return
	}
	ur.quiesced = l.uringQuiesce()
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

// uringQuiesce submits what is queued and a cancellation of every request
// in flight (IORING_ASYNC_CANCEL_ANY|ALL: the receives, accepts and polls,
// the eventfd read, and sends that wait for room), and waits, at most
// uringQuiesceWait, for that cancellation's completion. Completions are
// dropped: the loop is ending. It returns how many requests were
// cancelled, or -1 when the cancellation did not complete in time.
func (l *Loop) uringQuiesce() int {
	ur := l.ur
	l.sqe().PrepCancel(0, uring.AsyncCancelAny|uring.AsyncCancelAll, uringData(0, uopQuiesce, 0))
	toSubmit := ur.ring.Flush()
	deadline := time.Now().Add(uringQuiesceWait)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return -1
		}
		n, err := ur.ring.Enter(toSubmit, 1, left, ur.wa)
		if n > 0 {
			toSubmit -= uint32(min(n, int(toSubmit)))
		}
		if err != nil && !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.ETIME) && !errors.Is(err, unix.EBUSY) {
			return -1
		}
		for {
			got := ur.ring.Peek(ur.cqes)
			for i := range got {
				if c := &ur.cqes[i]; uint8(c.UserData>>24) == uopQuiesce {
					return int(c.Res)
				}
			}
			if got < len(ur.cqes) {
				break
			}
		}
	}
}
