package http1

import "bytes"

// span is a byte range as offsets from the start of the request.
type span struct{ start, end int }

func (s span) of(b []byte) []byte { return b[s.start:s.end:s.end] }

// fieldSpan is one header field as offsets.
type fieldSpan struct{ name, value span }

// head is a parsed request line and header block, kept as offsets because
// the input buffer may move while the body is still arriving.
type head struct {
	method, uri   span
	minor         int
	fields        []fieldSpan
	host          span
	contentLength int64 // -1: chunked
	close         bool  // the client asked to close (or HTTP/1.0 without keep-alive)
	keepAlive10   bool  // HTTP/1.0 with Connection: keep-alive
	expect100     bool
}

// httpError is a request the server refuses: the status to reply with
// before closing the connection.
type httpError struct {
	status int
	msg    string
}

var (
	errMalformed   = &httpError{400, "malformed request"}
	errBadHeader   = &httpError{400, "malformed header field"}
	errBadLength   = &httpError{400, "invalid Content-Length"}
	errNoHost      = &httpError{400, "missing or repeated Host header"}
	errFraming     = &httpError{400, "both Content-Length and Transfer-Encoding"}
	errBadChunk    = &httpError{400, "malformed chunked body"}
	errTooLarge    = &httpError{413, "request body too large"}
	errHeaderLarge = &httpError{431, "request header fields too large"}
	errTE          = &httpError{501, "unsupported Transfer-Encoding"}
	errExpect      = &httpError{417, "unsupported Expect"}
	errVersion     = &httpError{505, "HTTP version not supported"}
)

// tchar marks the token characters of RFC 9110.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()

// lineEnd returns the end of the line starting at b[0] (before CRLF or LF)
// and the start of the next line; ok false if b holds no newline.
func lineEnd(b []byte, from int) (end, next int, ok bool) {
	i := bytes.IndexByte(b[from:], '\n')
	if i < 0 {
		return 0, 0, false
	}
	end, next = from+i, from+i+1
	if end > from && b[end-1] == '\r' {
		end--
	}
	return end, next, true
}

// parseHead parses the request line and header fields of b (which ends
// with the blank line that closes the header block) into h.
func (h *head) parse(b []byte, maxHeaders int) *httpError {
	h.fields = h.fields[:0]
	h.host = span{}
	h.contentLength = 0
	h.close, h.keepAlive10, h.expect100 = false, false, false

	end, next, _ := lineEnd(b, 0)
	line := b[:end]
	// Request line: method SP request-target SP HTTP-version.
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return errMalformed
	}
	for _, c := range line[:sp1] {
		if !tchar[c] {
			return errMalformed
		}
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 <= 0 {
		return errMalformed
	}
	sp2 += sp1 + 1
	for _, c := range line[sp1+1 : sp2] {
		if c <= ' ' || c == 0x7f {
			return errMalformed
		}
	}
	h.method = span{0, sp1}
	h.uri = span{sp1 + 1, sp2}
	ver := line[sp2+1:]
	if len(ver) != 8 || string(ver[:5]) != "HTTP/" || ver[6] != '.' || ver[5] < '0' || ver[5] > '9' || ver[7] < '0' || ver[7] > '9' {
		return errMalformed
	}
	if ver[5] != '1' {
		return errVersion
	}
	h.minor = int(ver[7] - '0')
	if h.minor > 1 {
		h.minor = 1 // HTTP/1.x with x > 1: treat as 1.1 (RFC 9112 section 2.3)
	}

	hostSeen := 0
	clSeen := false
	te := false
	connClose, connKeep := false, false
	for {
		start := next
		end, next, _ = lineEnd(b, start)
		if end == start {
			break // the blank line
		}
		line := b[start:end]
		if line[0] == ' ' || line[0] == '\t' {
			return errBadHeader // obsolete line folding
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return errBadHeader
		}
		for _, c := range line[:colon] {
			if !tchar[c] {
				return errBadHeader
			}
		}
		vs, ve := start+colon+1, end
		for vs < ve && (b[vs] == ' ' || b[vs] == '\t') {
			vs++
		}
		for ve > vs && (b[ve-1] == ' ' || b[ve-1] == '\t') {
			ve--
		}
		for _, c := range b[vs:ve] {
			if (c < ' ' && c != '\t') || c == 0x7f {
				return errBadHeader
			}
		}
		if len(h.fields) >= maxHeaders {
			return errHeaderLarge
		}
		f := fieldSpan{span{start, start + colon}, span{vs, ve}}
		h.fields = append(h.fields, f)
		name, value := f.name.of(b), f.value.of(b)
		switch len(name) {
		case 4:
			if equalFold(name, "host") {
				hostSeen++
				h.host = f.value
			}
		case 6:
			if equalFold(name, "expect") {
				if !equalFold(value, "100-continue") {
					return errExpect
				}
				h.expect100 = true
			}
		case 10:
			if equalFold(name, "connection") {
				connClose = connClose || hasToken(value, "close")
				connKeep = connKeep || hasToken(value, "keep-alive")
			}
		case 14:
			if equalFold(name, "content-length") {
				n, ok := parseDecimal(value)
				if !ok || (clSeen && n != h.contentLength) {
					return errBadLength
				}
				clSeen = true
				h.contentLength = n
			}
		case 17:
			if equalFold(name, "transfer-encoding") {
				if te || !equalFold(value, "chunked") {
					return errTE
				}
				te = true
			}
		}
	}
	if h.minor == 1 && hostSeen != 1 || hostSeen > 1 {
		return errNoHost
	}
	if te {
		if clSeen {
			return errFraming
		}
		if h.minor == 0 {
			return errTE
		}
		h.contentLength = -1
	}
	if h.minor == 0 {
		h.keepAlive10 = connKeep && !connClose
		h.close = !h.keepAlive10
	} else {
		h.close = connClose
	}
	return nil
}

// parseDecimal parses a non-negative decimal of at most 18 digits.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseHex parses a chunk size: 1 to 15 hex digits.
func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}
