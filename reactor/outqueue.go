package reactor

// outChunk is the smallest buffer the output queue borrows: small writes are
// gathered into it and sent with one writev.
const outChunk = 16 << 10

// outMaxChunk bounds one borrowed output buffer; larger writes span several.
const outMaxChunk = 1 << 20

// outQueue holds a connection's unsent output: a list of borrowed buffers,
// written with one gather write (writev) per flush and returned to the pool
// as they drain.
type outQueue struct {
	bufs   [][]byte  // unsent bytes, in order; bufs[head] may be partly sent
	owners []*[]byte // the pooled buffer behind each bufs[i]
	head   int
	n      int // bytes queued
}

// append copies p to the end of the queue.
func (q *outQueue) append(p []byte) {
	q.n += len(p)
	for len(p) > 0 {
		if last := len(q.bufs) - 1; last >= q.head {
			b := q.bufs[last]
			if room := cap(b) - len(b); room > 0 {
				k := copy(b[len(b):cap(b)], p)
				q.bufs[last] = b[:len(b)+k]
				p = p[k:]
				continue
			}
		}
		size := min(max(len(p), outChunk), outMaxChunk)
		o := getBuf(size)
		q.owners = append(q.owners, o)
		q.bufs = append(q.bufs, (*o)[:0])
	}
}

// appendOwned moves a borrowed buffer holding n bytes into the queue
// without copying.
func (q *outQueue) appendOwned(o *[]byte, n int) {
	q.n += n
	q.owners = append(q.owners, o)
	q.bufs = append(q.bufs, (*o)[:n])
}

// pending returns the unsent buffers.
func (q *outQueue) pending() [][]byte { return q.bufs[q.head:] }

// consume drops n sent bytes from the front, returning drained buffers.
func (q *outQueue) consume(n int) {
	q.n -= n
	for n > 0 && q.head < len(q.bufs) {
		b := q.bufs[q.head]
		if n < len(b) {
			q.bufs[q.head] = b[n:]
			return
		}
		n -= len(b)
		// A drained buffer that is also the last one keeps its place (and
		// its spare room) only while nothing is queued; release it instead.
		putBuf(q.owners[q.head])
		q.owners[q.head] = nil
		q.bufs[q.head] = nil
		q.head++
	}
	if q.head == len(q.bufs) {
		q.bufs = q.bufs[:0]
		q.owners = q.owners[:0]
		q.head = 0
	}
}

// release returns every borrowed buffer and empties the queue.
func (q *outQueue) release() {
	for i := q.head; i < len(q.owners); i++ {
		putBuf(q.owners[i])
		q.owners[i] = nil
		q.bufs[i] = nil
	}
	q.bufs = q.bufs[:0]
	q.owners = q.owners[:0]
	q.head = 0
	q.n = 0
}
