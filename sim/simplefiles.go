package sim

import (
	"encoding/binary"
	"sync"
	"syscall"

	ep "github.com/eventpoll/eventpoll"
)

// stream marks byte-stream files (pipes, stream sockets), on which the
// seeded RNG may shorten reads and writes.
type stream interface {
	isStream()
}

// eventfd is an eventfd(2) counter: write adds, read returns and clears,
// readable while non-zero, writable while below the maximum.
type eventfd struct {
	mu    sync.Mutex
	count uint64
	wq    waitQueue
}

const eventfdMax = ^uint64(0) - 1

func (e *eventfd) poll(pt *pollTable) ep.Events {
	pollWait(&e.wq, pt)
	e.mu.Lock()
	defer e.mu.Unlock()
	var m ep.Events
	if e.count > 0 {
		m |= ep.Readable
	}
	if e.count < eventfdMax {
		m |= ep.Writable
	}
	return m
}

func (e *eventfd) read(p []byte) (int, error) {
	if len(p) < 8 {
		return 0, syscall.EINVAL
	}
	e.mu.Lock()
	v := e.count
	e.count = 0
	e.mu.Unlock()
	if v == 0 {
		return 0, syscall.EAGAIN
	}
	binary.NativeEndian.PutUint64(p, v)
	e.wq.wake(ep.Writable)
	return 8, nil
}

func (e *eventfd) writev(bufs [][]byte) (int, error) {
	var b [8]byte
	n := copy(b[:], flatten(bufs, 8))
	if n < 8 {
		return 0, syscall.EINVAL
	}
	v := binary.NativeEndian.Uint64(b[:])
	if v == ^uint64(0) {
		return 0, syscall.EINVAL
	}
	e.mu.Lock()
	if eventfdMax-e.count < v {
		e.mu.Unlock()
		return 0, syscall.EAGAIN
	}
	e.count += v
	e.mu.Unlock()
	e.wq.wake(ep.Readable)
	return 8, nil
}

func (e *eventfd) add(v uint64) {
	e.mu.Lock()
	if eventfdMax-e.count >= v {
		e.count += v
	}
	e.mu.Unlock()
	e.wq.wake(ep.Readable)
}

func (e *eventfd) release() {}

// flatten returns up to max bytes of bufs as one slice.
func flatten(bufs [][]byte, max int) []byte {
	var out []byte
	for _, b := range bufs {
		if len(out)+len(b) > max {
			b = b[:max-len(out)]
		}
		out = append(out, b...)
		if len(out) == max {
			break
		}
	}
	return out
}

// regularFile is an unnamed regular file: readable and writable, but
// without a poll method, so epoll refuses it with EPERM.
type regularFile struct {
	mu   sync.Mutex
	data []byte
	off  int
}

func (r *regularFile) read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := copy(p, r.data[min(r.off, len(r.data)):])
	r.off += n
	return n, nil
}

func (r *regularFile) writev(bufs [][]byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range bufs {
		r.data = append(r.data, b...)
		n += len(b)
	}
	r.off = len(r.data)
	return n, nil
}

func (r *regularFile) release() {}

// nullFile is /dev/null, the placeholder ReserveFD opens: reads are end of
// file, writes vanish, and like the character device it has no poll method.
type nullFile struct{}

func (nullFile) read([]byte) (int, error) { return 0, nil }

func (nullFile) writev(bufs [][]byte) (int, error) {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	return n, nil
}

func (nullFile) release() {}
