package http1

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
)

// stdAdapter runs a net/http Handler on the loop, inside the HTTP/1.1
// engine (StdHandler's in-loop mode). Limits of that mode:
//   - the request body is fully read (and bounded by Config.MaxBodyBytes)
//     before the handler runs, and copied, so the handler may keep it;
//   - the handler runs on the connection's event loop: it must not block
//     (a slow handler stalls every connection of that loop);
//   - the response is buffered until the handler returns, unless it calls
//     Flush (http.Flusher), which sends the response chunked; nothing is
//     sent before the handler returns either way;
//   - no http.Hijacker, no trailers, no HTTP/2, no request context
//     cancellation, no read or write timeouts;
//   - a response Content-Length set by the handler is replaced by the
//     length of what it wrote (except for HEAD).
type stdAdapter struct{ h http.Handler }

// ServeHTTP1 converts the request, runs the net/http handler and converts
// its response.
func (a stdAdapter) ServeHTTP1(w *ResponseWriter, r *Request) {
	u, err := url.ParseRequestURI(string(r.RequestURI))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		w.WriteString("malformed request URI\n")
		w.close = true
		return
	}
	req := &http.Request{
		Method:        string(r.Method),
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    r.ProtoMinor,
		Header:        make(http.Header, r.Header.Len()),
		Host:          string(r.Host),
		ContentLength: r.ContentLength,
		Close:         r.Close,
		RequestURI:    string(r.RequestURI),
	}
	if r.ProtoMinor == 0 {
		req.Proto = "HTTP/1.0"
	}
	for i := 0; i < r.Header.Len(); i++ {
		f := r.Header.At(i)
		if equalFold(f.Name, "host") {
			continue
		}
		key := textproto.CanonicalMIMEHeaderKey(string(f.Name))
		req.Header[key] = append(req.Header[key], string(f.Value))
	}
	if r.ContentLength < 0 {
		req.TransferEncoding = []string{"chunked"}
		req.ContentLength = int64(len(r.Body))
	}
	if len(r.Body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(bytes.Clone(r.Body)))
	} else {
		req.Body = http.NoBody
	}
	if r.RemoteAddr != nil {
		req.RemoteAddr = r.RemoteAddr.String()
	}
	req = req.WithContext(context.Background())
	sw := &stdWriter{w: w, header: make(http.Header)}
	a.h.ServeHTTP(sw, req)
	if !sw.wroteHeader {
		sw.WriteHeader(http.StatusOK)
	}
}

// stdWriter is the http.ResponseWriter (and http.Flusher) handed to a
// net/http handler.
type stdWriter struct {
	w           *ResponseWriter
	header      http.Header
	wroteHeader bool
}

// Header returns the response header map.
func (sw *stdWriter) Header() http.Header { return sw.header }

// WriteHeader copies the header to the engine's response and sets the
// status; 1xx codes are ignored.
func (sw *stdWriter) WriteHeader(code int) {
	if sw.wroteHeader || code < 100 || code > 999 {
		return
	}
	if code < 200 {
		return // informational responses are not forwarded
	}
	sw.wroteHeader = true
	for k, vs := range sw.header {
		for _, v := range vs {
			sw.w.Header().Add(k, v)
		}
	}
	sw.w.WriteHeader(code)
}

// Write appends to the body, sniffing a Content-Type on the first write.
func (sw *stdWriter) Write(p []byte) (int, error) {
	if !sw.wroteHeader {
		if _, ok := sw.header["Content-Type"]; !ok && len(p) > 0 && sw.header.Get("Transfer-Encoding") == "" {
			sw.header.Set("Content-Type", http.DetectContentType(p))
		}
		sw.WriteHeader(http.StatusOK)
	}
	return sw.w.Write(p)
}

// Flush sends what was written so far, switching to chunked coding.
func (sw *stdWriter) Flush() {
	if !sw.wroteHeader {
		sw.WriteHeader(http.StatusOK)
	}
	sw.w.Flush()
}
