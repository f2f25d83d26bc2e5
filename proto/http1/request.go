package http1

import "net"

// Handler serves one request: it writes the response through w. r and w,
// and every byte slice in r, are valid only until ServeHTTP1 returns (they
// are reused for the next request); copy what must outlive the call.
// ServeHTTP1 runs on the connection's event loop, so it must not block.
type Handler interface {
	ServeHTTP1(w *ResponseWriter, r *Request)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(w *ResponseWriter, r *Request)

// ServeHTTP1 calls f(w, r).
func (f HandlerFunc) ServeHTTP1(w *ResponseWriter, r *Request) { f(w, r) }

// HeaderField is one request header line.
type HeaderField struct {
	Name, Value []byte
}

// Header holds a request's header fields in arrival order.
type Header struct {
	fields []HeaderField
}

// Get returns the value of the first field named name (compared without
// regard to ASCII case), or nil.
func (h *Header) Get(name string) []byte {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			return h.fields[i].Value
		}
	}
	return nil
}

// Values calls fn with the value of every field named name.
func (h *Header) Values(name string, fn func(value []byte)) {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			fn(h.fields[i].Value)
		}
	}
}

// Len returns the number of fields.
func (h *Header) Len() int { return len(h.fields) }

// At returns field i (0 <= i < Len()).
func (h *Header) At(i int) HeaderField { return h.fields[i] }

// Request is one parsed request. Its byte slices point into the
// connection's input buffer (or, for a chunked body, into the session's
// body buffer) and are valid only during the handler call.
type Request struct {
	// Method is the request method, e.g. "GET".
	Method []byte
	// RequestURI is the request target as sent, e.g. "/a/b?x=1".
	RequestURI []byte
	// Path is RequestURI up to '?' (not unescaped).
	Path []byte
	// Query is RequestURI after '?', without it (not unescaped).
	Query []byte
	// ProtoMinor is 0 for HTTP/1.0 and 1 for HTTP/1.1.
	ProtoMinor int
	// Header holds the header fields.
	Header Header
	// Host is the Host header's value.
	Host []byte
	// Body is the whole request body (already read, de-chunked).
	Body []byte
	// ContentLength is the declared length, or -1 for a chunked body.
	ContentLength int64
	// Close is true when the connection closes after this response.
	Close bool
	// RemoteAddr is the peer's address when the transport knows it.
	RemoteAddr net.Addr
}

// equalFold reports whether b equals s, ignoring ASCII case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || (x|0x20) < 'a' || (x|0x20) > 'z' {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v contains token
// (ignoring ASCII case and surrounding spaces).
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		t := trimOWS(v[:i])
		if equalFold(t, token) {
			return true
		}
		if i == len(v) {
			break
		}
		v = v[i+1:]
	}
	return false
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
