package http1

import (
	"bytes"
	"testing"
)

// FuzzHTTPSession checks the request engine: no panic, output independent
// of how the input is split (ignoring the 100 Continue lines a split can
// trigger), and unconsumed input within Config.MaxRequestBytes.
func FuzzHTTPSession(f *testing.F) {
	seeds := []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /json HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
		"PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n",
		"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /flush HTTP/1.1\r\nHost: h\r\n\r\nGET /close HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
		"\r\n\nGET /panic HTTP/1.1\r\nHost: h\r\n\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint16(i*7), uint16(i*13))
	}
	cfg := Config{Handler: echoHandler, MaxHeaderBytes: 512, MaxHeaders: 8, MaxBodyBytes: 64}
	bound := cfg.MaxRequestBytes()
	newSession := func() *Session {
		s := NewSession(cfg)
		s.clock = fixedClock
		return s
	}
	strip := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("HTTP/1.1 100 Continue\r\n\r\n"), nil) }
	f.Fuzz(func(t *testing.T, in []byte, a, b uint16) {
		whole, pending, closed := feed(newSession(), in)
		if !closed && pending > bound {
			t.Fatalf("%d bytes unconsumed, bound %d", pending, bound)
		}
		i := int(a) % (len(in) + 1)
		j := i + int(b)%(len(in)-i+1)
		got2, _, closed2 := feed(newSession(), in[:i], in[i:])
		if !bytes.Equal(strip(got2), strip(whole)) || closed2 != closed {
			t.Fatalf("split at %d:\n got %q\nwant %q", i, got2, whole)
		}
		got3, _, closed3 := feed(newSession(), in[:i], in[i:j], in[j:])
		if !bytes.Equal(strip(got3), strip(whole)) || closed3 != closed {
			t.Fatalf("split at %d,%d:\n got %q\nwant %q", i, j, got3, whole)
		}
	})
}
