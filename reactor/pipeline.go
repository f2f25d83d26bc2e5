package reactor

import "sync"

// PipelineSession is one connection's state of a pipelined request/response
// protocol (RESP, HTTP/1.1): a parser that resumes across calls and runs the
// requests it completes. It is used by one connection at a time.
type PipelineSession interface {
	// ProcessLimit executes the complete requests at the start of in, in
	// order, appending their replies to out, and returns after the first
	// request whose reply brings len(out) to limit or beyond (a request is
	// never split), or when no complete request is left. It returns the
	// bytes of in consumed (a partial request stays for the next call, which
	// passes it again at the start of in), the extended out, and closeAfter:
	// true when the connection must close once out is written.
	ProcessLimit(in, out []byte, limit int) (consumed int, reply []byte, closeAfter bool)
}

// Pipeline is a Handler for pipelined request/response protocols. It owns
// the loop every such protocol needs (run the buffered requests, write the
// replies, close when the session says so) and the rule that bounds what a
// peer can make the server hold: requests run only while the connection's
// queued output is at most Server.WriteHighWater. Past it, the remaining
// requests wait unparsed in the inbound buffer, and reading stops, until
// the output drains to Server.WriteLowWater; then they resume. A single
// reply that would take the queue past Server.MaxOutbound closes the
// connection with ErrOutboundLimit.
//
// When the peer shuts down its writing side (or Server.Shutdown ends the
// input), the requests already received are still answered, then the
// connection closes gracefully.
//
// A Pipeline keeps its per-connection state in Conn.Context; use
// PipelineSessionOf to reach the session.
type Pipeline struct {
	// NewSession returns the session for a new connection (typically a
	// reset one from a pool). Required.
	NewSession func(c *Conn) PipelineSession
	// EndSession, if set, is called once the connection is gone, with its
	// session (to return it to a pool) and the error OnClose got.
	EndSession func(c *Conn, s PipelineSession, err error)
}

// pipeChunk bounds the replies built by one ProcessLimit call, so that the
// reply buffer stays small and the output goes to the socket in steps.
const pipeChunk = 64 << 10

// pipeConn is a Pipeline's state for one connection.
type pipeConn struct {
	s      PipelineSession
	hangup bool // no more input: close once the buffered requests are answered
}

var pipeConns = sync.Pool{New: func() any { return new(pipeConn) }}

// PipelineSessionOf returns the session a Pipeline attached to c, or nil.
func PipelineSessionOf(c *Conn) PipelineSession {
	if pc, ok := c.Context().(*pipeConn); ok {
		return pc.s
	}
	return nil
}

// OnOpen attaches a new session to c.
func (p *Pipeline) OnOpen(c *Conn) {
	pc := pipeConns.Get().(*pipeConn)
	pc.s = p.NewSession(c)
	c.SetContext(pc)
}

// OnData runs the complete requests in c's buffer while c's queued output
// stays within the high-water mark.
func (p *Pipeline) OnData(c *Conn) {
	if pc, ok := c.Context().(*pipeConn); ok && !pc.hangup {
		p.serve(c, pc)
	}
}

// OnWritable resumes the requests that waited for c's output to drain.
func (p *Pipeline) OnWritable(c *Conn) {
	if pc, ok := c.Context().(*pipeConn); ok {
		p.serve(c, pc)
	}
}

// OnReadHangup answers the requests already received, then closes c.
func (p *Pipeline) OnReadHangup(c *Conn) {
	if pc, ok := c.Context().(*pipeConn); ok && !pc.hangup {
		pc.hangup = true
		p.serve(c, pc)
		return
	}
	c.Close()
}

// OnClose ends c's session.
func (p *Pipeline) OnClose(c *Conn, err error) {
	pc, ok := c.Context().(*pipeConn)
	if !ok {
		return
	}
	c.SetContext(nil)
	if p.EndSession != nil {
		p.EndSession(c, pc.s, err)
	}
	*pc = pipeConn{}
	pipeConns.Put(pc)
}

// serve runs buffered requests in steps of at most pipeChunk bytes of
// replies, each step only while the queued output is within the high-water
// mark. When the output stays above it after a flush, the connection is
// paused (reading stops) and the rest waits for OnWritable.
func (p *Pipeline) serve(c *Conn, pc *pipeConn) {
	high := c.l.cfg.high
	var bp *[]byte
	var grown []byte // a reply buffer the session grew beyond *bp
	defer func() {
		if bp != nil {
			putBuf(bp)
		}
	}()
	for c.state == stateOpen && c.fatal == nil && !c.abort {
		if c.out.n > high {
			if c.Flush() != nil {
				return
			}
			if c.out.n > high {
				// Wait for the output to drain; flush resumes through
				// OnWritable once it is at the low-water mark.
				c.pauseReading()
				return
			}
		}
		in := c.in
		if len(in) == 0 {
			break
		}
		if bp == nil {
			bp = getBuf(minBufSize)
		}
		limit := min(high-c.out.n+1, pipeChunk)
		buf := (*bp)[:0]
		if grown != nil {
			buf = grown
		}
		n, out, closeAfter := pc.s.ProcessLimit(in, buf, limit)
		c.Discard(n)
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return // the connection is closing with err
			}
		}
		if cap(out) > cap(*bp) {
			// The session grew the buffer: use the larger one for the
			// next steps (the pooled one goes back at the end).
			grown = out[:0]
		}
		if closeAfter {
			c.Close()
			return
		}
		if n == 0 || len(out) < limit {
			break // no complete request left
		}
	}
	if pc.hangup && c.state == stateOpen {
		c.Close()
	}
}

// pauseReading stops reading c until its output drains to the low-water
// mark (flush then resumes it and calls OnWritable).
func (c *Conn) pauseReading() {
	if !c.paused {
		c.paused = true
		c.l.updateInterest(c)
	}
}
