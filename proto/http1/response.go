package http1

import (
	"net/http"
	"strconv"
	"sync"
)

// ResponseHeader holds the header fields a handler sets on its response.
type ResponseHeader struct {
	fields [][2]string
}

// Set replaces every field named key by one with value.
func (h *ResponseHeader) Set(key, value string) {
	h.Del(key)
	h.fields = append(h.fields, [2]string{key, value})
}

// Add appends a field, keeping existing ones with the same name.
func (h *ResponseHeader) Add(key, value string) {
	h.fields = append(h.fields, [2]string{key, value})
}

// Get returns the first value of key (ASCII case-insensitive), or "".
func (h *ResponseHeader) Get(key string) string {
	for _, f := range h.fields {
		if equalFoldString(f[0], key) {
			return f[1]
		}
	}
	return ""
}

// Del removes every field named key.
func (h *ResponseHeader) Del(key string) {
	j := 0
	for _, f := range h.fields {
		if !equalFoldString(f[0], key) {
			h.fields[j] = f
			j++
		}
	}
	clear(h.fields[j:])
	h.fields = h.fields[:j]
}

func equalFoldString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x != y && (x|0x20 != y|0x20 || (x|0x20) < 'a' || (x|0x20) > 'z') {
			return false
		}
	}
	return true
}

// ResponseWriter builds one response. The body is buffered and sent with a
// Content-Length when the handler returns, unless the handler calls Flush:
// then the response is sent chunked (HTTP/1.1) or delimited by closing the
// connection (HTTP/1.0), and every later Flush sends what was written since
// as one chunk. ResponseWriter is reused; it is valid only during the
// handler call.
type ResponseWriter struct {
	s           *Session
	header      ResponseHeader
	status      int
	body        []byte  // buffered body, borrowed from bodyBufs while in use
	bodyp       *[]byte // the pool holder of body
	wroteHeader bool    // the status line and header are in the output (after Flush)
	chunked     bool
	head        bool // HEAD request: no body on the wire
	headLen     int  // bytes a HEAD handler wrote (reported as Content-Length)
	minor       int
	close       bool
	keepAlive10 bool
}

// Header returns the response header, to be changed before the first
// Write of a flushed response, or before the handler returns.
func (w *ResponseWriter) Header() *ResponseHeader { return &w.header }

// WriteHeader sets the status code (200 if never called). Only the first
// call counts.
func (w *ResponseWriter) WriteHeader(status int) {
	if w.status == 0 && status >= 100 && status <= 999 {
		w.status = status
	}
}

// Write appends p to the response body.
func (w *ResponseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if !bodyAllowed(w.status) {
		return len(p), nil
	}
	if w.head {
		w.headLen += len(p)
		return len(p), nil
	}
	if w.bodyp == nil {
		w.borrow()
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// WriteString appends s to the response body.
func (w *ResponseWriter) WriteString(s string) (int, error) {
	w.WriteHeader(http.StatusOK)
	if !bodyAllowed(w.status) {
		return len(s), nil
	}
	if w.head {
		w.headLen += len(s)
		return len(s), nil
	}
	if w.bodyp == nil {
		w.borrow()
	}
	w.body = append(w.body, s...)
	return len(s), nil
}

// Flush sends the status line and header (on the first call) and the body
// written so far, switching the response to chunked transfer coding.
func (w *ResponseWriter) Flush() {
	w.WriteHeader(http.StatusOK)
	s := w.s
	if !w.wroteHeader {
		w.wroteHeader = true
		if bodyAllowed(w.status) {
			if w.minor == 0 {
				w.close = true // HTTP/1.0: the body ends when the connection closes
			} else {
				w.chunked = true
			}
		}
		w.header.Del("Content-Length")
		s.out = w.appendHead(s.out, -1)
	}
	if len(w.body) > 0 {
		s.out = w.appendBody(s.out)
		w.body = w.body[:0]
	}
}

// appendBody appends the buffered body, as a chunk when chunked.
func (w *ResponseWriter) appendBody(out []byte) []byte {
	if w.head {
		return out
	}
	if !w.chunked {
		return append(out, w.body...)
	}
	out = strconv.AppendInt(out, int64(len(w.body)), 16)
	out = append(out, '\r', '\n')
	out = append(out, w.body...)
	return append(out, '\r', '\n')
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// appendHead appends the status line and header fields. contentLength < 0
// means none (chunked or close-delimited).
func (w *ResponseWriter) appendHead(out []byte, contentLength int) []byte {
	s := w.s
	out = appendStatusLine(out, w.status)
	if s.cfg.ServerName != "-" {
		out = append(out, "Server: "...)
		out = append(out, s.cfg.ServerName...)
		out = append(out, '\r', '\n')
	}
	out = append(out, "Date: "...)
	out = appendDate(out, s.now())
	out = append(out, '\r', '\n')
	if w.header.Get("Connection") != "" {
		for _, f := range w.header.fields {
			if equalFoldString(f[0], "Connection") && hasToken([]byte(f[1]), "close") {
				w.close = true
			}
		}
		w.header.Del("Connection")
	}
	if w.close {
		out = append(out, "Connection: close\r\n"...)
	} else if w.minor == 0 {
		out = append(out, "Connection: keep-alive\r\n"...)
	}
	if w.header.Get("Transfer-Encoding") != "" {
		w.header.Del("Transfer-Encoding") // the engine decides the framing
	}
	if w.chunked {
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	} else if contentLength >= 0 && w.header.Get("Content-Length") == "" {
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, int64(contentLength), 10)
		out = append(out, '\r', '\n')
	}
	if bodyAllowed(w.status) && w.header.Get("Content-Type") == "" {
		out = append(out, "Content-Type: text/plain; charset=utf-8\r\n"...)
	}
	for _, f := range w.header.fields {
		out = append(out, f[0]...)
		out = append(out, ':', ' ')
		out = append(out, f[1]...)
		out = append(out, '\r', '\n')
	}
	return append(out, '\r', '\n')
}

// finish completes the response after the handler returned.
func (w *ResponseWriter) finish(out []byte) []byte {
	w.WriteHeader(http.StatusOK)
	if w.wroteHeader {
		if len(w.body) > 0 {
			out = w.appendBody(out)
		}
		if w.chunked && !w.head {
			out = append(out, "0\r\n\r\n"...)
		}
		return out
	}
	cl := len(w.body)
	if !bodyAllowed(w.status) {
		cl = -1
		w.header.Del("Content-Length")
	} else if w.head {
		// A HEAD handler may set Content-Length itself; otherwise report
		// the length of what it wrote.
		cl = w.headLen
		if w.header.Get("Content-Length") != "" {
			cl = -1
		}
	} else {
		w.header.Del("Content-Length")
	}
	out = w.appendHead(out, cl)
	if !w.head {
		out = append(out, w.body...)
	}
	return out
}

// bodyBufs lends response body buffers for the duration of one request,
// so that idle connections hold none.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

func (w *ResponseWriter) borrow() {
	w.bodyp = bodyBufs.Get().(*[]byte)
	w.body = (*w.bodyp)[:0]
}

// release gives the body buffer back (a very large one is dropped).
func (w *ResponseWriter) release() {
	if w.bodyp != nil {
		if cap(w.body) <= 1<<20 {
			*w.bodyp = w.body[:0]
			bodyBufs.Put(w.bodyp)
		}
		w.bodyp, w.body = nil, nil
	}
}

// reset prepares w for the next request.
func (w *ResponseWriter) reset() {
	clear(w.header.fields)
	w.header.fields = w.header.fields[:0]
	w.status = 0
	w.release()
	w.wroteHeader, w.chunked, w.head, w.close, w.keepAlive10 = false, false, false, false, false
	w.headLen = 0
}

// appendStatusLine appends "HTTP/1.1 <code> <reason>\r\n".
func appendStatusLine(out []byte, status int) []byte {
	switch status {
	case 200:
		return append(out, "HTTP/1.1 200 OK\r\n"...)
	case 404:
		return append(out, "HTTP/1.1 404 Not Found\r\n"...)
	}
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(status), 10)
	out = append(out, ' ')
	text := http.StatusText(status)
	if text == "" {
		text = "status code " + strconv.Itoa(status)
	}
	out = append(out, text...)
	return append(out, '\r', '\n')
}
