package resp

import (
	"strings"
	"testing"
)

// benchPipeline runs a pipeline of 16 copies of one command per op.
func benchPipeline(b *testing.B, setup, one string) {
	s := NewSession(Config{})
	s.Process([]byte(setup), nil)
	in := []byte(strings.Repeat(one, 16))
	out := make([]byte, 0, 64<<10)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, o, _ := s.Process(in, out[:0])
		if n != len(in) {
			b.Fatalf("consumed %d of %d: %q", n, len(in), o)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*16), "ns/cmd")
}

func BenchmarkPing(b *testing.B)       { benchPipeline(b, "", cmd("PING")) }
func BenchmarkPingInline(b *testing.B) { benchPipeline(b, "", "PING\r\n") }
func BenchmarkGet(b *testing.B) {
	benchPipeline(b, cmd("SET", "key:000000000001", "xxx"), cmd("GET", "key:000000000001"))
}
func BenchmarkSet(b *testing.B) {
	benchPipeline(b, cmd("SET", "key:000000000001", "xxx"), cmd("SET", "key:000000000001", "xxx"))
}
func BenchmarkIncr(b *testing.B) { benchPipeline(b, "", cmd("INCR", "counter")) }
func BenchmarkMGet(b *testing.B) {
	benchPipeline(b, cmd("MSET", "a", "1", "b", "2"), cmd("MGET", "a", "b", "c"))
}
func BenchmarkHSetExisting(b *testing.B) {
	benchPipeline(b, cmd("HSET", "h", "f", "xxx"), cmd("HSET", "h", "f", "xxx"))
}
