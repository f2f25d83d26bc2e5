package http1

import (
	"bytes"
	"math"
	"net"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/eventpoll/eventpoll/reactor"
)

var (
	schemeSep = []byte("://")
	rootPath  = []byte("/")
)

// Session is the protocol state of one client connection: the request
// being parsed (resumed across calls) and the reusable Request and
// ResponseWriter. It is not safe for concurrent use.
type Session struct {
	cfg Config
	h   head
	req Request
	w   ResponseWriter

	// State of the request being parsed, as offsets from its start.
	scan       int     // start of the next header line to look at
	hdrEnd     int     // end of the header block; 0 while it is incomplete
	chunkOff   int     // next chunk-size line or trailer line
	chunksDone bool    // the last chunk was seen; trailers follow
	trailerAt  int     // where the trailers start
	body       []byte  // decoded chunked body, borrowed from bodyBufs
	bodyp      *[]byte // the pool holder of body
	sent100    bool
	closed     bool
	panicked   *reactor.PanicError // the last handler panic, until taken

	served     uint64 // requests served on this connection
	servedSeen uint64 // served when ServerHandler last looked
	timing     bool   // a ReadTimeout deadline is set

	out     []byte // the output while Process runs
	nowT    time.Time
	haveNow bool
	clock   func() time.Time

	// RemoteAddr is reported to handlers as Request.RemoteAddr.
	RemoteAddr net.Addr
}

// NewSession returns a Session that serves cfg.Handler within cfg's limits.
func NewSession(cfg Config) *Session {
	s := &Session{cfg: cfg.withDefaults(), clock: time.Now}
	s.w.s = s
	return s
}

// Reset prepares s for a new connection.
func (s *Session) Reset() {
	s.resetRequest()
	s.closed = false
	s.served, s.servedSeen, s.timing = 0, 0, false
	s.panicked = nil
	s.RemoteAddr = nil
}

func (s *Session) resetRequest() {
	s.scan, s.hdrEnd, s.chunkOff, s.trailerAt = 0, 0, 0, 0
	s.chunksDone, s.sent100 = false, false
	if s.bodyp != nil {
		if cap(s.body) <= 1<<20 {
			*s.bodyp = s.body[:0]
			bodyBufs.Put(s.bodyp)
		}
		s.bodyp, s.body = nil, nil
	}
}

func (s *Session) now() time.Time {
	if !s.haveNow {
		s.nowT, s.haveNow = s.clock(), true
	}
	return s.nowT
}

// Process serves every complete request at the start of in, in order,
// appending the responses (and any 100 Continue) to out. It returns the
// number of bytes consumed (a partial request is left for the next call,
// which must pass it again at the start of in followed by newer bytes),
// the extended out, and closeAfter: true when the connection must be
// closed once out is written (Connection: close, HTTP/1.0 without
// keep-alive, or an error response). After closeAfter, further calls
// consume everything and reply nothing.
func (s *Session) Process(in, out []byte) (consumed int, reply []byte, closeAfter bool) {
	return s.ProcessLimit(in, out, math.MaxInt)
}

// ProcessLimit is Process that returns after the first request whose
// response brings len(out) to limit or beyond, leaving the requests after
// it in in (reactor.Pipeline serves them once the connection's output has
// drained).
func (s *Session) ProcessLimit(in, out []byte, limit int) (consumed int, reply []byte, closeAfter bool) {
	if s.closed {
		return len(in), out, true
	}
	s.out, s.haveNow = out, false
	defer func() { s.out = nil }()
	pos := 0
	for pos < len(in) {
		if s.scan == 0 && s.hdrEnd == 0 {
			// Blank lines before a request are ignored (RFC 9112 section 2.2).
			for pos < len(in) && (in[pos] == '\r' || in[pos] == '\n') {
				pos++
			}
			if pos == len(in) {
				break
			}
		}
		n, herr := s.step(in[pos:])
		if herr != nil {
			s.appendError(herr)
			s.closed = true
			return len(in), s.out, true
		}
		if n == 0 {
			break
		}
		if s.serve(in[pos : pos+n]) {
			s.closed = true
			return len(in), s.out, true
		}
		pos += n
		if len(s.out) >= limit {
			break
		}
	}
	return pos, s.out, false
}

// step advances the parse of the request at the start of b. It returns
// the request's length once it is complete, 0 while it is not, or the
// error to reply with.
func (s *Session) step(b []byte) (int, *httpError) {
	if s.hdrEnd == 0 {
		for {
			end, next, ok := lineEnd(b, s.scan)
			if !ok {
				if len(b) > s.cfg.MaxHeaderBytes {
					return 0, errHeaderLarge
				}
				return 0, nil
			}
			if next > s.cfg.MaxHeaderBytes {
				return 0, errHeaderLarge
			}
			if end == s.scan && s.scan > 0 {
				s.hdrEnd = next
				break
			}
			s.scan = next
		}
		if err := s.h.parse(b[:s.hdrEnd], s.cfg.MaxHeaders); err != nil {
			return 0, err
		}
		if s.h.contentLength > int64(s.cfg.MaxBodyBytes) {
			return 0, errTooLarge
		}
		s.chunkOff = s.hdrEnd
	}
	if s.h.contentLength >= 0 {
		end := s.hdrEnd + int(s.h.contentLength)
		if end > len(b) {
			s.continue100()
			return 0, nil
		}
		return end, nil
	}
	for !s.chunksDone {
		end, next, ok := lineEnd(b, s.chunkOff)
		if !ok {
			if len(b)-s.chunkOff > maxChunkLine {
				return 0, errBadChunk
			}
			s.continue100()
			return 0, nil
		}
		if end-s.chunkOff > maxChunkLine {
			return 0, errBadChunk
		}
		line := b[s.chunkOff:end]
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, ok := parseHex(trimOWS(line))
		if !ok {
			return 0, errBadChunk
		}
		if size == 0 {
			s.chunksDone = true
			s.chunkOff, s.trailerAt = next, next
			break
		}
		if int64(len(s.body))+size > int64(s.cfg.MaxBodyBytes) || next+int(size)+2-s.hdrEnd > maxRawBody(s.cfg.MaxBodyBytes) {
			return 0, errTooLarge
		}
		dataEnd := next + int(size)
		if dataEnd+2 > len(b) {
			s.continue100()
			return 0, nil
		}
		if b[dataEnd] != '\r' || b[dataEnd+1] != '\n' {
			return 0, errBadChunk
		}
		if s.bodyp == nil {
			s.bodyp = bodyBufs.Get().(*[]byte)
			s.body = (*s.bodyp)[:0]
		}
		s.body = append(s.body, b[next:dataEnd]...)
		s.chunkOff = dataEnd + 2
	}
	for {
		end, next, ok := lineEnd(b, s.chunkOff)
		if !ok {
			if len(b)-s.trailerAt > s.cfg.MaxHeaderBytes {
				return 0, errHeaderLarge
			}
			return 0, nil
		}
		if next-s.trailerAt > s.cfg.MaxHeaderBytes {
			return 0, errHeaderLarge
		}
		if end == s.chunkOff {
			return next, nil
		}
		if bytes.IndexByte(b[s.chunkOff:end], ':') <= 0 {
			return 0, errBadChunk
		}
		s.chunkOff = next // trailer fields are accepted and ignored
	}
}

// continue100 sends "100 Continue" once for a request that asked for it
// and whose body has not fully arrived.
func (s *Session) continue100() {
	if s.h.expect100 && !s.sent100 && s.h.minor == 1 {
		s.out = append(s.out, "HTTP/1.1 100 Continue\r\n\r\n"...)
		s.sent100 = true
	}
}

// serve runs the handler for the complete request b and appends its
// response. It reports whether the connection must close.
func (s *Session) serve(b []byte) (closeAfter bool) {
	s.served++
	h := &s.h
	r := &s.req
	r.Method = h.method.of(b)
	r.RequestURI = h.uri.of(b)
	r.Path, r.Query = r.RequestURI, nil
	if i := bytes.IndexByte(r.RequestURI, '?'); i >= 0 {
		r.Path, r.Query = r.RequestURI[:i], r.RequestURI[i+1:]
	}
	if i := bytes.Index(r.Path, schemeSep); i > 0 && r.Path[0] != '/' {
		// absolute-form (RFC 9112 section 3.2.2): the path follows the authority.
		rest := r.Path[i+len(schemeSep):]
		if j := bytes.IndexByte(rest, '/'); j >= 0 {
			r.Path = rest[j:]
		} else {
			r.Path = rootPath
		}
	}
	r.ProtoMinor = h.minor
	r.Header.fields = r.Header.fields[:0]
	for _, f := range h.fields {
		r.Header.fields = append(r.Header.fields, HeaderField{f.name.of(b), f.value.of(b)})
	}
	r.Host = h.host.of(b)
	r.ContentLength = h.contentLength
	if h.contentLength >= 0 {
		r.Body = b[s.hdrEnd:len(b):len(b)]
	} else {
		r.Body = s.body
	}
	r.Close = h.close
	r.RemoteAddr = s.RemoteAddr

	w := &s.w
	w.reset()
	w.minor, w.close, w.keepAlive10 = h.minor, h.close, h.keepAlive10
	w.head = string(r.Method) == "HEAD"
	if s.callHandler(w, r) {
		if !w.wroteHeader {
			s.appendError(&httpError{500, "internal server error"})
		}
		closeAfter = true
	} else {
		s.out = w.finish(s.out)
		closeAfter = w.close
	}
	clear(r.Header.fields)
	*r = Request{Header: r.Header}
	w.release()
	s.resetRequest()
	return closeAfter
}

// callHandler runs the handler and reports whether it panicked; a panic
// closes this connection only. The panic is kept (s.panicked) for the
// transport to report.
func (s *Session) callHandler(w *ResponseWriter, r *Request) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			s.panicked = &reactor.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	s.cfg.Handler.ServeHTTP1(w, r)
	return false
}

// appendError appends a complete error response that closes the connection.
func (s *Session) appendError(e *httpError) {
	out := appendStatusLine(s.out, e.status)
	if s.cfg.ServerName != "-" {
		out = append(out, "Server: "...)
		out = append(out, s.cfg.ServerName...)
		out = append(out, '\r', '\n')
	}
	out = append(out, "Date: "...)
	out = appendDate(out, s.now())
	out = append(out, "\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "...)
	out = strconv.AppendInt(out, int64(len(e.msg)+1), 10)
	out = append(out, "\r\n\r\n"...)
	out = append(out, e.msg...)
	s.out = append(out, '\n')
}
