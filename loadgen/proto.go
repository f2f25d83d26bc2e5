package loadgen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// tableSize is the number of distinct messages a protocol cycles through; a
// prime, so that it never lines up with a pipeline depth.
const tableSize = 251

// proto is a precomputed request/reply table: request seq is
// requests[seq%len], and the exact reply expected for it is replies[seq%len].
// The tables are shared read-only by all connections.
type proto struct {
	name     string
	requests [][]byte
	replies  [][]byte
	// http: replies are HTTP responses, checked for status 200 and
	// Content-Length framing (replies is empty).
	http bool
}

func (p *proto) request(seq uint64) []byte { return p.requests[seq%uint64(len(p.requests))] }
func (p *proto) reply(seq uint64) []byte   { return p.replies[seq%uint64(len(p.replies))] }

// maxReply is the longest expected reply.
func (p *proto) maxReply() int {
	m := 0
	if p.http {
		return 4096
	}
	for _, r := range p.replies {
		m = max(m, len(r))
	}
	return m
}

// newProto builds the table of the named protocol for payloads of size bytes.
//
//	echo  size random bytes, echoed verbatim
//	line  size-1 printable bytes and '\n', echoed verbatim
//	resp  RESP "SET k:i v_i" and "GET k:i" alternately, v_i of size bytes;
//	      replies "+OK" and the bulk string v_i
//	http  "GET / HTTP/1.1" (size unused); replies checked for status 200
//	      and Content-Length framing
func newProto(name string, size int, seed uint64) (*proto, error) {
	if size < 1 {
		return nil, fmt.Errorf("size %d: must be >= 1", size)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	p := &proto{name: name}
	switch name {
	case "echo":
		for range tableSize {
			m := make([]byte, size)
			for i := range m {
				m[i] = byte(rng.Uint32())
			}
			p.requests = append(p.requests, m)
		}
		p.replies = p.requests
	case "line":
		for range tableSize {
			p.requests = append(p.requests, printable(rng, size-1, '\n'))
		}
		p.replies = p.requests
	case "resp":
		for i := range tableSize {
			key := "k:" + strconv.Itoa(i)
			val := printable(rng, size, 0)
			set := fmt.Sprintf("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(key), key, len(val), val)
			get := fmt.Sprintf("*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key)
			p.requests = append(p.requests, []byte(set), []byte(get))
			p.replies = append(p.replies, []byte("+OK\r\n"), fmt.Appendf(nil, "$%d\r\n%s\r\n", len(val), val))
		}
	case "http":
		p.http = true
		p.requests = [][]byte{[]byte("GET / HTTP/1.1\r\nHost: loadgen\r\n\r\n")}
	default:
		return nil, fmt.Errorf("unknown protocol %q (want echo, line, resp or http)", name)
	}
	return p, nil
}

// printable returns n random letters and digits, followed by end if it is
// not zero.
func printable(rng *rand.Rand, n int, end byte) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	m := make([]byte, n, n+1)
	for i := range m {
		m[i] = alphabet[rng.IntN(len(alphabet))]
	}
	if end != 0 {
		m = append(m, end)
	}
	return m
}
