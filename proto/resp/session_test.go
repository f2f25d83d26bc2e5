package resp

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"
)

// cmd encodes a command the way clients send it.
func cmd(args ...string) string { return string(AppendCommand(nil, args...)) }

// process runs in through a fresh session in one call.
func process(t *testing.T, s *Session, in string) (string, int, bool) {
	t.Helper()
	n, out, closeAfter := s.Process([]byte(in), nil)
	return string(out), n, closeAfter
}

func TestCommandReplies(t *testing.T) {
	s := NewSession(Config{})
	cases := []struct{ in, want string }{
		{cmd("PING"), "+PONG\r\n"},
		{cmd("ping", "hi"), "$2\r\nhi\r\n"},
		{cmd("ping", "a", "b"), "-ERR wrong number of arguments for 'ping' command\r\n"},
		{"PING\r\n", "+PONG\r\n"},
		{"ping\n", "+PONG\r\n"},
		{"\r\n", ""},
		{cmd("ECHO", "x y"), "$3\r\nx y\r\n"},
		{cmd("GET", "k"), "$-1\r\n"},
		{cmd("SET", "k", "v"), "+OK\r\n"},
		{cmd("GET", "k"), "$1\r\nv\r\n"},
		{cmd("get"), "-ERR wrong number of arguments for 'get' command\r\n"},
		{cmd("SET", "k", "w", "NX"), "$-1\r\n"},
		{cmd("SET", "k2", "w", "XX"), "$-1\r\n"},
		{cmd("SET", "k", "w", "XX"), "+OK\r\n"},
		{cmd("SET", "k", "x", "GET"), "$1\r\nw\r\n"},
		{cmd("SET", "k", "x", "NX", "XX"), "-ERR syntax error\r\n"},
		{cmd("SET", "k", "x", "EX", "0"), "-ERR invalid expire time in 'set' command\r\n"},
		{cmd("SET", "k", "x", "EX", "abc"), "-ERR value is not an integer or out of range\r\n"},
		{cmd("SET", "k", "x", "EX"), "-ERR syntax error\r\n"},
		{cmd("SET", "k", "x", "BOGUS"), "-ERR syntax error\r\n"},
		{cmd("STRLEN", "k"), ":1\r\n"},
		{cmd("APPEND", "k", "yz"), ":3\r\n"},
		{cmd("GET", "k"), "$3\r\nxyz\r\n"},
		{cmd("APPEND", "new", "ab"), ":2\r\n"},
		{cmd("INCR", "n"), ":1\r\n"},
		{cmd("INCRBY", "n", "41"), ":42\r\n"},
		{cmd("DECR", "n"), ":41\r\n"},
		{cmd("DECRBY", "n", "50"), ":-9\r\n"},
		{cmd("INCR", "k"), "-ERR value is not an integer or out of range\r\n"},
		{cmd("INCRBY", "n", "x"), "-ERR value is not an integer or out of range\r\n"},
		{cmd("SET", "big", "9223372036854775807"), "+OK\r\n"},
		{cmd("INCR", "big"), "-ERR increment or decrement would overflow\r\n"},
		{cmd("MSET", "a", "1", "b", "2"), "+OK\r\n"},
		{cmd("MSET", "a", "1", "b"), "-ERR wrong number of arguments for 'mset' command\r\n"},
		{cmd("MGET", "a", "nope", "b"), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n"},
		{cmd("EXISTS", "a", "b", "a", "nope"), ":3\r\n"},
		{cmd("DEL", "a", "nope"), ":1\r\n"},
		{cmd("EXISTS", "a"), ":0\r\n"},
		{cmd("TTL", "b"), ":-1\r\n"},
		{cmd("TTL", "nope"), ":-2\r\n"},
		{cmd("EXPIRE", "b", "100"), ":1\r\n"},
		{cmd("TTL", "b"), ":100\r\n"},
		{cmd("PTTL", "b"), ":100000\r\n"},
		{cmd("EXPIRE", "nope", "100"), ":0\r\n"},
		{cmd("EXPIRE", "b", "x"), "-ERR value is not an integer or out of range\r\n"},
		{cmd("PERSIST", "b"), ":1\r\n"},
		{cmd("TTL", "b"), ":-1\r\n"},
		{cmd("LPUSH", "l", "a", "b"), ":2\r\n"},
		{cmd("RPUSH", "l", "c"), ":3\r\n"},
		{cmd("LRANGE", "l", "0", "-1"), "*3\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n"},
		{cmd("LRANGE", "l", "-2", "10"), "*2\r\n$1\r\na\r\n$1\r\nc\r\n"},
		{cmd("LRANGE", "l", "5", "10"), "*0\r\n"},
		{cmd("LPOP", "l"), "$1\r\nb\r\n"},
		{cmd("RPOP", "l"), "$1\r\nc\r\n"},
		{cmd("LPOP", "l", "5"), "*1\r\n$1\r\na\r\n"},
		{cmd("LPOP", "l"), "$-1\r\n"},
		{cmd("LPOP", "l", "2"), "*-1\r\n"},
		{cmd("EXISTS", "l"), ":0\r\n"},
		{cmd("LPUSH", "k", "a"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{cmd("SADD", "s", "a", "b", "a"), ":2\r\n"},
		{cmd("SADD", "s", "b", "c"), ":1\r\n"},
		{cmd("SCARD", "s"), ":3\r\n"},
		{cmd("SISMEMBER", "s", "c"), ":1\r\n"},
		{cmd("GET", "s"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{cmd("HSET", "h", "f", "1", "g", "2"), ":2\r\n"},
		{cmd("HSET", "h", "f", "3"), ":0\r\n"},
		{cmd("HSET", "h", "f"), "-ERR wrong number of arguments for 'hset' command\r\n"},
		{cmd("HGET", "h", "f"), "$1\r\n3\r\n"},
		{cmd("HGET", "h", "x"), "$-1\r\n"},
		{cmd("HGET", "k", "x"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{cmd("TYPE", "h"), "+hash\r\n"},
		{cmd("TYPE", "k"), "+string\r\n"},
		{cmd("TYPE", "zz"), "+none\r\n"},
		{cmd("DBSIZE"), ":7\r\n"},
		{cmd("CONFIG", "GET", "save"), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"},
		{cmd("CONFIG", "GET", "appendonly"), "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"},
		{cmd("CONFIG", "GET", "nothing"), "*0\r\n"},
		{cmd("SELECT", "0"), "+OK\r\n"},
		{cmd("SELECT", "1"), "-ERR DB index is out of range\r\n"},
		{cmd("HELLO", "3"), "-NOPROTO unsupported protocol version\r\n"},
		{cmd("CLIENT", "SETNAME", "x"), "+OK\r\n"},
		{cmd("COMMAND", "COUNT"), fmt.Sprintf(":%d\r\n", len(commandNames))},
		{cmd("COMMAND", "DOCS"), "*0\r\n"},
		{cmd("COMMAND", "INFO", "get"), "*1\r\n*6\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"},
		{cmd("NOSUCH", "a", "b"), "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n"},
		{cmd("NOSUCH"), "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"},
		{"set q \"a b\\x41\\n\" 'c d'\r\n", "-ERR syntax error\r\n"},
		{"set q \"a b\\x41\\n\"\r\n", "+OK\r\n"},
		{"echo 'it\\'s'\r\n", "$4\r\nit's\r\n"},
		{cmd("GET", "q"), "$5\r\na bA\n\r\n"},
		{"*0\r\n*-1\r\n", ""},
		{cmd("FLUSHALL"), "+OK\r\n"},
		{cmd("DBSIZE"), ":0\r\n"},
	}
	for _, c := range cases {
		out, n, closeAfter := process(t, s, c.in)
		if out != c.want || n != len(c.in) || closeAfter {
			t.Errorf("%q:\n got %q (consumed %d/%d, close %v)\nwant %q", c.in, out, n, len(c.in), closeAfter, c.want)
		}
	}
}

func TestQuit(t *testing.T) {
	s := NewSession(Config{})
	in := cmd("PING") + cmd("QUIT") + cmd("PING")
	out, n, closeAfter := process(t, s, in)
	if out != "+PONG\r\n+OK\r\n" || !closeAfter || n != len(cmd("PING")+cmd("QUIT")) {
		t.Fatalf("got %q %d %v", out, n, closeAfter)
	}
	if out, n, closeAfter = process(t, s, cmd("PING")); out != "" || !closeAfter || n != len(cmd("PING")) {
		t.Fatalf("after quit: %q %d %v", out, n, closeAfter)
	}
}

func TestSmallCommandsSetCommand(t *testing.T) {
	s := NewSession(Config{})
	out, _, _ := process(t, s, cmd("COMMAND"))
	v, n, err := ParseValue([]byte(out), Limits{})
	if err != nil || n != len(out) || v.Type != '*' || len(v.Array) != len(commandNames) {
		t.Fatalf("COMMAND: %v %d %v", err, n, v)
	}
}

func TestProtocolErrors(t *testing.T) {
	lim := Limits{MaxBulkLen: 16, MaxArrayLen: 4, MaxInlineLen: 32, MaxQueryBuffer: 64}
	cases := []struct{ in, want string }{
		{"*5\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\r\n$17\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\n*1\r\n$4\r\nPING\r\n", "-ERR Protocol error: expected '$', got '*'\r\n"},
		{"*1\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
		{"*1\r\n$4\r\nPINGxx", "-ERR Protocol error: invalid bulk format\r\n"},
		{"*3\r\n$16\r\n0123456789abcdef\r\n$16\r\n0123456789abcdef\r\n$16\r\n", "-ERR Protocol error: query buffer limit exceeded\r\n"},
		{strings.Repeat("a", 33), "-ERR Protocol error: too big inline request\r\n"},
		{strings.Repeat("a", 40) + "\r\n", "-ERR Protocol error: too big inline request\r\n"},
		{"*" + strings.Repeat("1", 40), "-ERR Protocol error: too big mbulk count string\r\n"},
		{"*1\r\n$" + strings.Repeat("1", 40), "-ERR Protocol error: too big bulk count string\r\n"},
		{"set a \"b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"set a 'b'c\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		// Replies to the commands before the bad one are kept.
		{cmd("PING") + "*1\r\n$x\r\n", "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"},
	}
	for _, c := range cases {
		s := NewSession(Config{Limits: lim})
		out, n, closeAfter := process(t, s, c.in)
		if out != c.want || !closeAfter || n != len(c.in) {
			t.Errorf("%q:\n got %q (consumed %d, close %v)\nwant %q", c.in, out, n, closeAfter, c.want)
		}
	}
}

// pipelineInput is a deterministic mix of commands: multibulk, inline,
// quoted inline, empty and erroneous.
func pipelineInput() string {
	var b strings.Builder
	b.WriteString(cmd("SET", "k", "hello world"))
	b.WriteString("PING\r\n")
	b.WriteString(cmd("GET", "k"))
	b.WriteString("\r\n")
	b.WriteString(cmd("APPEND", "k", "\r\n$binary\x00"))
	b.WriteString("*0\r\n")
	b.WriteString(cmd("LPUSH", "l", "a", "", "c"))
	b.WriteString("echo \"q\\x20d\" 'e f'\n")
	b.WriteString(cmd("LRANGE", "l", "0", "-1"))
	b.WriteString(cmd("NOPE"))
	b.WriteString(cmd("INCR", "k"))
	b.WriteString(cmd("MSET", "x", "1", "y", "2"))
	b.WriteString(cmd("MGET", "x", "y", "k"))
	b.WriteString(cmd("HSET", "h", "f", "v"))
	b.WriteString(cmd("SADD", "s", "m"))
	b.WriteString(cmd("GET", "k"))
	return b.String()
}

// feed runs chunks through a fresh session the way a transport does: the
// unconsumed tail of each call is passed again with the next chunk.
func feed(s *Session, chunks ...[]byte) (out []byte, pending int, closed bool) {
	var buf []byte
	for _, c := range chunks {
		buf = append(buf, c...)
		var n int
		n, out, closed = s.Process(buf, out)
		buf = buf[n:]
		if closed {
			return out, len(buf), true
		}
	}
	return out, len(buf), closed
}

func TestSplitAtEveryByte(t *testing.T) {
	in := []byte(pipelineInput())
	whole, pending, _ := feed(NewSession(Config{}), in)
	if pending != 0 {
		t.Fatalf("whole input left %d bytes", pending)
	}
	for i := 0; i <= len(in); i++ {
		got, pending, _ := feed(NewSession(Config{}), in[:i], in[i:])
		if !bytes.Equal(got, whole) || pending != 0 {
			t.Fatalf("split at %d: got\n%q\nwant\n%q", i, got, whole)
		}
	}
	// Byte by byte, and random three-way splits.
	chunks := make([][]byte, len(in))
	for i := range in {
		chunks[i] = in[i : i+1]
	}
	if got, _, _ := feed(NewSession(Config{}), chunks...); !bytes.Equal(got, whole) {
		t.Fatalf("byte by byte: got\n%q\nwant\n%q", got, whole)
	}
	r := rand.New(rand.NewSource(1))
	for k := 0; k < 500; k++ {
		i := r.Intn(len(in) + 1)
		j := i + r.Intn(len(in)-i+1)
		if got, _, _ := feed(NewSession(Config{}), in[:i], in[i:j], in[j:]); !bytes.Equal(got, whole) {
			t.Fatalf("split at %d,%d differs", i, j)
		}
	}
}

func TestLargeCommandResumes(t *testing.T) {
	// A 1 MiB value arriving in 1 KiB pieces: the parser resumes rather
	// than re-parsing, and the value round-trips.
	val := strings.Repeat("v", 1<<20)
	in := []byte(cmd("SET", "big", val) + cmd("STRLEN", "big"))
	var chunks [][]byte
	for i := 0; i < len(in); i += 1024 {
		chunks = append(chunks, in[i:min(i+1024, len(in))])
	}
	out, pending, closed := feed(NewSession(Config{}), chunks...)
	if string(out) != "+OK\r\n:1048576\r\n" || pending != 0 || closed {
		t.Fatalf("got %q pending %d closed %v", out, pending, closed)
	}
}

func TestExpiry(t *testing.T) {
	st := NewStore()
	s := NewSession(Config{Store: st})
	now := time.Unix(1000, 0)
	s.clock = func() time.Time { return now }
	process(t, s, cmd("SET", "a", "1", "PX", "1500")+cmd("SET", "b", "2", "EX", "1")+cmd("SET", "c", "3"))
	process(t, s, cmd("EXPIRE", "c", "10"))
	if out, _, _ := process(t, s, cmd("PTTL", "a")+cmd("TTL", "b")); out != ":1500\r\n:1\r\n" {
		t.Fatalf("ttl: %q", out)
	}
	now = now.Add(1200 * time.Millisecond)
	// b expired: lazily removed on access; a still there.
	if out, _, _ := process(t, s, cmd("GET", "b")+cmd("GET", "a")+cmd("EXISTS", "b")); out != "$-1\r\n$1\r\n1\r\n:0\r\n" {
		t.Fatalf("lazy expiry: %q", out)
	}
	if n := st.Len(); n != 2 {
		t.Fatalf("Len after lazy removal = %d, want 2", n)
	}
	// a expires without being touched: only the sweep removes it.
	now = now.Add(time.Second)
	if removed := st.Sweep(now, numShards); removed != 1 || st.Len() != 1 {
		t.Fatalf("sweep removed %d, Len %d", removed, st.Len())
	}
	// SET without KEEPTTL clears the TTL; with KEEPTTL keeps it; INCR keeps it.
	process(t, s, cmd("SET", "c", "4", "KEEPTTL"))
	if out, _, _ := process(t, s, cmd("TTL", "c")); out != ":8\r\n" {
		t.Fatalf("KEEPTTL: %q", out)
	}
	process(t, s, cmd("INCR", "c"))
	if out, _, _ := process(t, s, cmd("TTL", "c")+cmd("GET", "c")); out != ":8\r\n$1\r\n5\r\n" {
		t.Fatalf("INCR kept ttl: %q", out)
	}
	process(t, s, cmd("SET", "c", "4"))
	if out, _, _ := process(t, s, cmd("TTL", "c")); out != ":-1\r\n" {
		t.Fatalf("SET cleared ttl: %q", out)
	}
	// EXPIRE with a time in the past deletes.
	if out, _, _ := process(t, s, cmd("EXPIRE", "c", "-1")+cmd("EXISTS", "c")); out != ":1\r\n:0\r\n" {
		t.Fatalf("expire in past: %q", out)
	}
}

func TestStartSweeper(t *testing.T) {
	st := NewStore()
	s := NewSession(Config{Store: st})
	for i := 0; i < 100; i++ {
		process(t, s, cmd("SET", fmt.Sprint("k", i), "v", "PX", "1"))
	}
	stop := st.StartSweeper(10 * time.Millisecond)
	defer stop()
	deadline := time.Now().Add(5 * time.Second)
	for st.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sweeper left %d keys", st.Len())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConcurrentSessions(t *testing.T) {
	st := NewStore()
	const workers, iters = 8, 500
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := NewSession(Config{Store: st})
			var out []byte
			for i := 0; i < iters; i++ {
				in := cmd("INCR", "counter") + cmd("MSET", "a", "1", "b", "2") +
					cmd("RPUSH", "list", "x") + cmd("SET", fmt.Sprint("k", w, i%10), "v") +
					cmd("MGET", "a", "b") + cmd("DEL", fmt.Sprint("k", w, (i+5)%10))
				_, out, _ = s.Process([]byte(in), out[:0])
			}
		}(w)
	}
	wg.Wait()
	s := NewSession(Config{Store: st})
	out, _, _ := process(t, s, cmd("GET", "counter")+cmd("LLEN", "list"))
	want := fmt.Sprintf("$4\r\n%d\r\n:%d\r\n", workers*iters, workers*iters)
	if out != want {
		t.Fatalf("got %q want %q", out, want)
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{"0": 0, "-1": -1, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for s, v := range good {
		if got, ok := parseInt([]byte(s)); !ok || got != v {
			t.Errorf("parseInt(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "-", "+1", " 1", "01", "-0", "9223372036854775808", "1e3", "-9223372036854775809", "99999999999999999999"} {
		if _, ok := parseInt([]byte(s)); ok {
			t.Errorf("parseInt(%q) accepted", s)
		}
	}
}
