package resp

import (
	"math"
	"time"
)

// Session is the protocol state of one client connection: a resumable
// command parser and the store it serves. It is not safe for concurrent
// use; give each connection its own Session and share the Store.
type Session struct {
	p      parser
	st     *Store
	nowNs  int64 // the time, read at most once per Process call
	nowFn  func() int64
	clock  func() time.Time // time.Now; replaced by tests
	closed bool
}

// NewSession returns a Session that serves cfg.Store (a new Store when nil)
// within cfg.Limits.
func NewSession(cfg Config) *Session {
	s := &Session{}
	s.p.lim = cfg.Limits.withDefaults()
	s.st = cfg.Store
	if s.st == nil {
		s.st = NewStore()
	}
	s.nowFn = s.now
	s.clock = time.Now
	return s
}

// Store returns the store the session serves.
func (s *Session) Store() *Store { return s.st }

// Reset prepares s for a new connection.
func (s *Session) Reset() {
	s.p.reset()
	s.closed = false
}

func (s *Session) now() int64 {
	if s.nowNs == 0 {
		s.nowNs = s.clock().UnixNano()
	}
	return s.nowNs
}

// Process executes every complete command at the start of in, appending
// the replies to out. It returns the number of bytes of in it consumed (a
// partial command at the end is left for the next call, which must pass it
// again at the start of in, followed by the bytes that arrived since), the
// extended out, and closeAfter: true after QUIT or a protocol error (whose
// error reply is in out), when the connection must be closed once out is
// written. After closeAfter, further calls consume everything and reply
// nothing.
func (s *Session) Process(in, out []byte) (consumed int, reply []byte, closeAfter bool) {
	return s.ProcessLimit(in, out, math.MaxInt)
}

// ProcessLimit is Process that returns after the first command whose reply
// brings len(out) to limit or beyond, leaving the commands after it in in
// (reactor.Pipeline runs them once the connection's output has drained).
func (s *Session) ProcessLimit(in, out []byte, limit int) (consumed int, reply []byte, closeAfter bool) {
	if s.closed {
		return len(in), out, true
	}
	s.nowNs = 0
	pos := 0
	for pos < len(in) {
		st, n := s.p.parseCommand(in[pos:])
		switch st {
		case parsedIncomplete:
			return pos, out, false
		case parsedError:
			out = AppendError(out, s.p.err)
			s.closed = true
			return len(in), out, true
		case parsedEmpty:
			pos += n
			continue
		}
		pos += n
		var quit bool
		out, quit = s.exec(s.p.args, out)
		if quit {
			s.closed = true
			return pos, out, true
		}
		if len(out) >= limit {
			return pos, out, false
		}
	}
	return pos, out, false
}
