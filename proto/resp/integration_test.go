package resp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll/internal/enginetest"
	"github.com/eventpoll/eventpoll/proto/resp"
	"github.com/eventpoll/eventpoll/reactor"
	"github.com/redis/go-redis/v9"
)

// startServer serves h on a loopback port with two loops.
func startServer(t *testing.T, cfg resp.Config) (addr string, h *resp.Handler) {
	t.Helper()
	h = resp.NewHandler(cfg)
	s := &reactor.Server{Handler: h, Loops: 2, Engine: enginetest.Engine(), MaxInbound: h.InboundLimit()}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeListener(context.Background(), ln)
	enginetest.Check(t, s)
	t.Cleanup(func() {
		s.Close()
		h.Close()
	})
	return ln.Addr().String(), h
}

func TestGoRedis(t *testing.T) {
	addr, _ := startServer(t, resp.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Default options: the client tries HELLO 3 and CLIENT SETINFO first.
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 8})
	defer rdb.Close()

	if v, err := rdb.Ping(ctx).Result(); err != nil || v != "PONG" {
		t.Fatalf("PING: %q %v", v, err)
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET: %q %v", v, err)
	}
	if _, err := rdb.Get(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET missing: %v", err)
	}
	if ok, err := rdb.SetNX(ctx, "k", "w", 0).Result(); err != nil || ok {
		t.Fatalf("SETNX existing: %v %v", ok, err)
	}
	if err := rdb.Set(ctx, "t", "x", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if d, err := rdb.TTL(ctx, "t").Result(); err != nil || d != 10*time.Second {
		t.Fatalf("TTL: %v %v", d, err)
	}
	if err := rdb.Set(ctx, "p", "x", 1500*time.Millisecond).Err(); err != nil { // SET ... PX
		t.Fatal(err)
	}
	if d, err := rdb.PTTL(ctx, "p").Result(); err != nil || d <= time.Second || d > 1500*time.Millisecond {
		t.Fatalf("PTTL: %v %v", d, err)
	}
	if n, err := rdb.IncrBy(ctx, "n", 5).Result(); err != nil || n != 5 {
		t.Fatalf("INCRBY: %d %v", n, err)
	}
	if n, err := rdb.Decr(ctx, "n").Result(); err != nil || n != 4 {
		t.Fatalf("DECR: %d %v", n, err)
	}
	if err := rdb.MSet(ctx, "a", "1", "b", "2").Err(); err != nil {
		t.Fatal(err)
	}
	if vs, err := rdb.MGet(ctx, "a", "nope", "b").Result(); err != nil || fmt.Sprint(vs) != "[1 <nil> 2]" {
		t.Fatalf("MGET: %v %v", vs, err)
	}
	if n, err := rdb.Append(ctx, "a", "23").Result(); err != nil || n != 3 {
		t.Fatalf("APPEND: %d %v", n, err)
	}
	if n, err := rdb.StrLen(ctx, "a").Result(); err != nil || n != 3 {
		t.Fatalf("STRLEN: %d %v", n, err)
	}
	if n, err := rdb.Exists(ctx, "a", "b", "zz").Result(); err != nil || n != 2 {
		t.Fatalf("EXISTS: %d %v", n, err)
	}
	if ok, err := rdb.Expire(ctx, "a", time.Minute).Result(); err != nil || !ok {
		t.Fatalf("EXPIRE: %v %v", ok, err)
	}
	if n, err := rdb.Del(ctx, "a", "b").Result(); err != nil || n != 2 {
		t.Fatalf("DEL: %d %v", n, err)
	}
	if n, err := rdb.RPush(ctx, "l", "x", "y", "z").Result(); err != nil || n != 3 {
		t.Fatalf("RPUSH: %d %v", n, err)
	}
	rdb.LPush(ctx, "l", "w")
	if vs, err := rdb.LRange(ctx, "l", 0, -1).Result(); err != nil || strings.Join(vs, ",") != "w,x,y,z" {
		t.Fatalf("LRANGE: %v %v", vs, err)
	}
	if v, err := rdb.LPop(ctx, "l").Result(); err != nil || v != "w" {
		t.Fatalf("LPOP: %q %v", v, err)
	}
	if v, err := rdb.RPop(ctx, "l").Result(); err != nil || v != "z" {
		t.Fatalf("RPOP: %q %v", v, err)
	}
	if vs, err := rdb.LPopCount(ctx, "l", 5).Result(); err != nil || strings.Join(vs, ",") != "x,y" {
		t.Fatalf("LPOP count: %v %v", vs, err)
	}
	if n, err := rdb.SAdd(ctx, "s", "a", "b", "a").Result(); err != nil || n != 2 {
		t.Fatalf("SADD: %d %v", n, err)
	}
	if vs, err := rdb.SMembers(ctx, "s").Result(); err != nil || len(vs) != 2 {
		t.Fatalf("SMEMBERS: %v %v", vs, err)
	}
	if n, err := rdb.HSet(ctx, "h", "f", "1", "g", "2").Result(); err != nil || n != 2 {
		t.Fatalf("HSET: %d %v", n, err)
	}
	if v, err := rdb.HGet(ctx, "h", "g").Result(); err != nil || v != "2" {
		t.Fatalf("HGET: %q %v", v, err)
	}
	if err := rdb.Get(ctx, "h").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE ") {
		t.Fatalf("GET on hash: %v", err)
	}
	if err := rdb.Do(ctx, "NOSUCHCMD", "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR unknown command 'NOSUCHCMD'") {
		t.Fatalf("unknown: %v", err)
	}
	if err := rdb.Do(ctx, "GET").Err(); err == nil || err.Error() != "ERR wrong number of arguments for 'get' command" {
		t.Fatalf("arity: %v", err)
	}
	if n, err := rdb.DBSize(ctx).Result(); err != nil || n != 6 {
		t.Fatalf("DBSIZE: %d %v", n, err)
	}
	if v, err := rdb.Info(ctx).Result(); err != nil || !strings.Contains(v, "redis_version:") {
		t.Fatalf("INFO: %q %v", v, err)
	}
	if v, err := rdb.ConfigGet(ctx, "save").Result(); err != nil || len(v) != 1 {
		t.Fatalf("CONFIG GET: %v %v", v, err)
	}
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.DBSize(ctx).Result(); n != 0 {
		t.Fatalf("DBSIZE after FLUSHALL: %d", n)
	}

	// A pipeline of 1000 commands in one round trip.
	pipe := rdb.Pipeline()
	for i := 0; i < 500; i++ {
		pipe.Set(ctx, fmt.Sprint("pk", i), i, 0)
		pipe.Incr(ctx, "pc")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := rdb.Get(ctx, "pc").Result(); v != "500" {
		t.Fatalf("pipelined INCR: %q", v)
	}

	// Many clients at once, each on its own connection.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if err := rdb.Incr(ctx, "shared").Err(); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v, _ := rdb.Get(ctx, "shared").Result(); v != "1600" {
		t.Fatalf("concurrent INCR: %q", v)
	}
	// A value larger than the reactor's read buffer.
	big := strings.Repeat("0123456789", 100_000)
	if err := rdb.Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := rdb.Get(ctx, "big").Result(); err != nil || v != big {
		t.Fatalf("big value: %d bytes, %v", len(v), err)
	}
}

func TestLimitsOverTCP(t *testing.T) {
	addr, _ := startServer(t, resp.Config{Limits: resp.Limits{MaxBulkLen: 1024, MaxQueryBuffer: 4096}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "PING\r\n*2\r\n$3\r\nGET\r\n$2000\r\n")
	var buf [256]byte
	var got []byte
	for {
		n, err := c.Read(buf[:])
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if string(got) != "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n" {
		t.Fatalf("got %q", got)
	}
}

// tool returns the path of an external client or skips the test.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (apt-get install redis-tools); skipping", name)
	}
	return p
}

func TestRedisCLI(t *testing.T) {
	cli := tool(t, "redis-cli")
	addr, _ := startServer(t, resp.Config{})
	host, port, _ := net.SplitHostPort(addr)
	run := func(stdin string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append([]string{"-h", host, "-p", port}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	checks := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"SET", "greeting", "hello world"}, "OK"},
		{[]string{"GET", "greeting"}, "hello world"},
		{[]string{"INCR", "n"}, "1"},
		{[]string{"RPUSH", "l", "a", "b"}, "2"},
		{[]string{"LRANGE", "l", "0", "-1"}, "a\nb"},
		{[]string{"HSET", "h", "f", "v"}, "1"},
		{[]string{"HGET", "h", "f"}, "v"},
		{[]string{"GET", "nothing"}, ""},
		{[]string{"GET", "h"}, "WRONGTYPE Operation against a key holding the wrong kind of value"},
		{[]string{"FOO"}, "ERR unknown command 'FOO', with args beginning with:"},
		{[]string{"DBSIZE"}, "4"},
	}
	for _, c := range checks {
		if got := run("", c.args...); got != c.want {
			t.Errorf("redis-cli %v = %q, want %q", c.args, got, c.want)
		}
	}
	// Commands on stdin (one connection, pipelined by redis-cli).
	if got := run("SET a 1\nINCRBY a 41\nGET a\n"); got != "OK\n42\n42" {
		t.Errorf("stdin commands = %q", got)
	}
	// Raw inline protocol via --pipe.
	if got := run(string(resp.AppendCommand(nil, "SET", "piped", "1"))+"PING\r\n", "--pipe"); !strings.Contains(got, "errors: 0, replies: 2") {
		t.Errorf("--pipe: %q", got)
	}
}

func TestRedisBenchmark(t *testing.T) {
	bench := tool(t, "redis-benchmark")
	addr, _ := startServer(t, resp.Config{})
	host, port, _ := net.SplitHostPort(addr)
	tests := "ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,mset"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bench, "-h", host, "-p", port, "-q", "-n", "20000", "-c", "50", "-P", "16", "-t", tests)
	out, err := cmd.CombinedOutput()
	t.Logf("redis-benchmark -q -n 20000 -c 50 -P 16 -t %s:\n%s", tests, out)
	if err != nil {
		t.Fatalf("redis-benchmark: %v", err)
	}
	text := string(out)
	if strings.Contains(strings.ToLower(text), "error") {
		t.Fatalf("redis-benchmark reported errors")
	}
	for _, name := range []string{"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD", "HSET", "MSET (10 keys)"} {
		found := false
		for _, line := range strings.Split(text, "\n") {
			// With -q each test ends on its own line (after \r progress).
			parts := strings.Split(line, "\r")
			last := parts[len(parts)-1]
			if strings.HasPrefix(last, name+": ") && strings.Contains(last, "requests per second") {
				found = true
			}
		}
		if !found {
			t.Errorf("test %s did not complete", name)
		}
	}
}

func TestSplitWritesOverTCP(t *testing.T) {
	addr, _ := startServer(t, resp.Config{})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.(*net.TCPConn).SetNoDelay(true)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	in := string(resp.AppendCommand(nil, "SET", "k", strings.Repeat("v", 300))) + "GET k\r\n" + string(resp.AppendCommand(nil, "STRLEN", "k"))
	// One byte per write, so the server sees the commands in many pieces.
	go func() {
		for i := 0; i < len(in); i++ {
			c.Write([]byte{in[i]})
			if i%50 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	want := "+OK\r\n$300\r\n" + strings.Repeat("v", 300) + "\r\n:300\r\n"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("got %q, %v", got, err)
	}
}

// TestReactorInboundLimit: a transport buffer smaller than the session's
// limits closes the connection (the reactor's ErrInboundLimit) without
// disturbing the server.
func TestReactorInboundLimit(t *testing.T) {
	h := resp.NewHandler(resp.Config{SweepInterval: -1})
	defer h.Close()
	s := &reactor.Server{Handler: h, Loops: 1, Engine: enginetest.Engine(), MaxInbound: 64 << 10}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeListener(context.Background(), ln)
	defer s.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// A 1 MiB bulk string is within the session's limits but not the reactor's.
	fmt.Fprintf(c, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", 1<<20)
	c.Write(make([]byte, 200<<10))
	if _, err := io.Copy(io.Discard, c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read: %v", err)
	}
	// The server still serves others.
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String()})
	defer rdb.Close()
	if v, err := rdb.Ping(context.Background()).Result(); err != nil || v != "PONG" {
		t.Fatalf("PING after limit: %q %v", v, err)
	}
}
