package http1

import (
	"strings"
	"testing"
)

const plainReq = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain,text/html;q=0.9\r\nConnection: keep-alive\r\nUser-Agent: bench\r\n\r\n"

func benchRequests(b *testing.B, h Handler, req string, depth int) {
	s := NewSession(Config{Handler: h})
	in := []byte(strings.Repeat(req, depth))
	out := make([]byte, 0, 64<<10)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, _, closed := s.Process(in, out[:0])
		if n != len(in) || closed {
			b.Fatalf("consumed %d of %d, closed %v", n, len(in), closed)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*depth), "ns/req")
}

func BenchmarkPlaintext(b *testing.B)          { benchRequests(b, Hello(), plainReq, 1) }
func BenchmarkPlaintextPipelined(b *testing.B) { benchRequests(b, Hello(), plainReq, 16) }
func BenchmarkJSON(b *testing.B) {
	benchRequests(b, Hello(), strings.Replace(plainReq, "/plaintext", "/json", 1), 1)
}
func BenchmarkPostContentLength(b *testing.B) {
	benchRequests(b, Hello(), "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world", 1)
}
func BenchmarkPostChunked(b *testing.B) {
	benchRequests(b, Hello(), "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 1)
}
