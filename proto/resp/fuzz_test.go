package resp

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// fuzzLimits are small so the fuzzer reaches every limit.
var fuzzLimits = Limits{MaxBulkLen: 64, MaxArrayLen: 16, MaxInlineLen: 64, MaxQueryBuffer: 256, MaxDepth: 4}

func fuzzSeeds(f *testing.F) {
	f.Add([]byte(pipelineInput()), uint16(7), uint16(30))
	f.Add([]byte(cmd("SET", "k", "v", "EX", "10")+cmd("GET", "k")+cmd("TTL", "k")), uint16(3), uint16(9))
	f.Add([]byte("PING\r\nping\nECHO \"a\\x41\" 'b'\r\n"), uint16(1), uint16(2))
	f.Add([]byte("*1\r\n*1\r\n$4\r\nPING\r\n"), uint16(4), uint16(5))
	f.Add([]byte("*2\r\n$4\r\nECHO\r\n$65\r\n"), uint16(0), uint16(0))
	f.Add([]byte(cmd("LPUSH", "l", "a", "b")+cmd("LRANGE", "l", "0", "-1")+cmd("LPOP", "l", "2")), uint16(10), uint16(20))
	f.Add([]byte(cmd("HSET", "h", "f", "v")+cmd("SADD", "s", "m")+cmd("SMEMBERS", "s")+cmd("QUIT")+cmd("PING")), uint16(5), uint16(40))
	f.Add([]byte("*-1\r\n*0\r\n\r\n\n"), uint16(2), uint16(3))
}

// FuzzRESPSession checks the command engine: no panic, output independent
// of how the input is split (whole, two pieces, three pieces), unconsumed
// input within the documented bound, and parser scratch space bounded by
// the limits.
func FuzzRESPSession(f *testing.F) {
	fuzzSeeds(f)
	clock := func() time.Time { return time.Unix(1e9, 0) }
	newSession := func() *Session {
		s := NewSession(Config{Limits: fuzzLimits})
		s.clock = clock
		return s
	}
	bound := fuzzLimits.MaxQueryBuffer + fuzzLimits.MaxInlineLen
	f.Fuzz(func(t *testing.T, in []byte, a, b uint16) {
		s := newSession()
		whole, pending, closedW := feed(s, in)
		if !closedW && pending > bound {
			t.Fatalf("%d bytes unconsumed, bound %d", pending, bound)
		}
		if cap(s.p.spans) > 2*fuzzLimits.MaxArrayLen+8 || cap(s.p.inline) > 2*fuzzLimits.MaxInlineLen+8 {
			t.Fatalf("scratch grew: spans %d inline %d", cap(s.p.spans), cap(s.p.inline))
		}
		i := int(a) % (len(in) + 1)
		j := i + int(b)%(len(in)-i+1)
		got2, pending2, closed2 := feed(newSession(), in[:i], in[i:])
		if !bytes.Equal(got2, whole) || closed2 != closedW || (!closedW && pending2 != pending) {
			t.Fatalf("split at %d:\n got %q\nwant %q", i, got2, whole)
		}
		got3, _, closed3 := feed(newSession(), in[:i], in[i:j], in[j:])
		if !bytes.Equal(got3, whole) || closed3 != closedW {
			t.Fatalf("split at %d,%d:\n got %q\nwant %q", i, j, got3, whole)
		}
		// Every reply must itself be valid RESP.
		for off := 0; off < len(whole); {
			_, n, err := ParseValue(whole[off:], Limits{MaxInlineLen: 1 << 20})
			if err != nil {
				t.Fatalf("reply at %d not valid RESP: %v in %q", off, err, whole)
			}
			off += n
		}
	})
}

// FuzzRESPValue checks ParseValue: no panic, a value's every proper prefix
// is incomplete, and the bytes it consumed are within the input.
func FuzzRESPValue(f *testing.F) {
	f.Add([]byte("*5\r\n+OK\r\n-ERR x\r\n:-42\r\n$3\r\na\r\n\r\n*2\r\n$-1\r\n*-1\r\n"), uint16(3))
	f.Add([]byte("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"), uint16(6))
	f.Add([]byte("$65\r\n"), uint16(1))
	f.Add([]byte("*100000000\r\n"), uint16(1))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		v, n, err := ParseValue(in, fuzzLimits)
		if err != nil {
			if !errors.Is(err, ErrIncomplete) && !errors.Is(err, ErrProtocol) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if n <= 0 || n > len(in) {
			t.Fatalf("consumed %d of %d", n, len(in))
		}
		_ = v.String()
		k := int(cut) % n
		if _, _, err := ParseValue(in[:k], fuzzLimits); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("prefix %d of a %d-byte value: %v", k, n, err)
		}
	})
}
