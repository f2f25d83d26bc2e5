package sim

import (
	"sync"
	"syscall"

	ep "github.com/eventpoll/eventpoll"
)

// pipeBuf is PIPE_BUF: writes up to this size are atomic, and the write end
// is writable while at least this much room is left (or the whole buffer,
// if smaller).
const pipeBuf = 4096

// pipe is a bounded byte queue between a read end and a write end, with a
// wait queue for each side (the kernel's rd_wait and wr_wait).
type pipe struct {
	mu      sync.Mutex
	buf     byteQueue
	cap     int
	readers bool // the read end is open
	writers bool // the write end is open

	rdWait waitQueue
	wrWait waitQueue
}

func newPipe(capacity int) *pipe {
	return &pipe{cap: capacity, readers: true, writers: true}
}

func (p *pipe) writableLocked() bool {
	return p.cap-p.buf.len() >= min(pipeBuf, p.cap)
}

// pipeReader and pipeWriter are the two ends' file operations.
type pipeReader struct{ p *pipe }
type pipeWriter struct{ p *pipe }

func (*pipeReader) isStream() {}
func (*pipeWriter) isStream() {}

func (r *pipeReader) poll(pt *pollTable) ep.Events {
	p := r.p
	pollWait(&p.rdWait, pt)
	p.mu.Lock()
	defer p.mu.Unlock()
	var m ep.Events
	if p.buf.len() > 0 {
		m |= ep.Readable
	}
	if !p.writers {
		m |= ep.Hangup
	}
	return m
}

func (w *pipeWriter) poll(pt *pollTable) ep.Events {
	p := w.p
	pollWait(&p.wrWait, pt)
	p.mu.Lock()
	defer p.mu.Unlock()
	var m ep.Events
	if p.writableLocked() {
		m |= ep.Writable
	}
	if !p.readers {
		m |= ep.Error
	}
	return m
}

func (r *pipeReader) read(b []byte) (int, error) {
	p := r.p
	p.mu.Lock()
	if p.buf.len() == 0 {
		eof := !p.writers
		p.mu.Unlock()
		if eof || len(b) == 0 {
			return 0, nil
		}
		return 0, syscall.EAGAIN
	}
	was := p.writableLocked()
	n := p.buf.read(b)
	now := p.writableLocked()
	p.mu.Unlock()
	if !was && now {
		p.wrWait.wake(ep.Writable)
	}
	return n, nil
}

func (w *pipeWriter) writev(bufs [][]byte) (int, error) {
	p := w.p
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	p.mu.Lock()
	if !p.readers {
		p.mu.Unlock()
		return 0, syscall.EPIPE
	}
	free := p.cap - p.buf.len()
	if total == 0 {
		p.mu.Unlock()
		return 0, nil
	}
	if free == 0 || (total <= pipeBuf && free < total) {
		p.mu.Unlock()
		return 0, syscall.EAGAIN
	}
	n := p.buf.writev(bufs, free)
	p.mu.Unlock()
	p.rdWait.wake(ep.Readable)
	return n, nil
}

func (r *pipeReader) writev([][]byte) (int, error) { return 0, syscall.EBADF }
func (w *pipeWriter) read([]byte) (int, error)     { return 0, syscall.EBADF }

func (r *pipeReader) release() {
	p := r.p
	p.mu.Lock()
	p.readers = false
	p.mu.Unlock()
	p.wrWait.wake(0)
}

func (w *pipeWriter) release() {
	p := w.p
	p.mu.Lock()
	p.writers = false
	p.mu.Unlock()
	p.rdWait.wake(0)
}

// byteQueue is a FIFO of bytes.
type byteQueue struct {
	b    []byte
	head int
}

func (q *byteQueue) len() int { return len(q.b) - q.head }

func (q *byteQueue) read(p []byte) int {
	n := copy(p, q.b[q.head:])
	q.head += n
	if q.head == len(q.b) {
		q.b, q.head = q.b[:0], 0
	} else if q.head > 4096 && q.head > len(q.b)/2 {
		q.b = q.b[:copy(q.b, q.b[q.head:])]
		q.head = 0
	}
	return n
}

// writev appends at most max bytes of bufs and returns how many.
func (q *byteQueue) writev(bufs [][]byte, max int) int {
	n := 0
	for _, b := range bufs {
		if n+len(b) > max {
			b = b[:max-n]
		}
		q.b = append(q.b, b...)
		n += len(b)
		if n == max {
			break
		}
	}
	return n
}

func (q *byteQueue) reset() { q.b, q.head = nil, 0 }
