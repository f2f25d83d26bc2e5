package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// server runs handle for every connection on a loopback listener until the
// test ends.
func server(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { defer c.Close(); handle(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func echo(c net.Conn) { io.Copy(c, c) }

func TestEchoRequests(t *testing.T) { forEngines(t, testEchoRequests) }

func testEchoRequests(t *testing.T, engine string) {
	addr := server(t, echo)
	res, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Conns: 4, Depth: 8, Size: 100, Requests: 1003})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Msgs != 1003 {
		t.Fatalf("msgs %d errors %d %v, want 1003 and 0", res.Msgs, res.Errors, res.ErrorSamples)
	}
	if res.Bytes != 1003*200 {
		t.Errorf("bytes %d, want %d", res.Bytes, 1003*200)
	}
	l := res.Latency
	if l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.Max || res.MsgsPerSec <= 0 {
		t.Errorf("implausible result %+v", res)
	}
}

func TestDuration(t *testing.T) { forEngines(t, testDuration) }

func testDuration(t *testing.T, engine string) {
	addr := server(t, echo)
	start := time.Now()
	res, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Conns: 3, Depth: 2, Size: 4096, Duration: 300 * time.Millisecond, Proto: "line"})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("run took %v", el)
	}
	if res.Errors != 0 || res.Msgs < 10 || res.Seconds < 0.3 {
		t.Errorf("result %+v", res)
	}
}

func TestOpenLoopRate(t *testing.T) {
	addr := server(t, echo)
	res, err := Run(context.Background(), Config{Addr: addr, Conns: 4, Size: 32, Rate: 2000, Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Msgs < 800 || res.Msgs > 1100 {
		t.Errorf("open loop at 2000/s for 0.5s sent %d (errors %d), want about 1000", res.Msgs, res.Errors)
	}
}

// A server that changes one byte must be caught.
func TestCorruptReplyCounted(t *testing.T) { forEngines(t, testCorruptReplyCounted) }

func testCorruptReplyCounted(t *testing.T, engine string) {
	addr := server(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		total := 0
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			for i := range n {
				if total+i == 1000 {
					buf[i] ^= 0x20
				}
			}
			total += n
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
	})
	res, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Conns: 1, Depth: 4, Size: 64, Duration: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 1 || !strings.Contains(strings.Join(res.ErrorSamples, ";"), "differs") {
		t.Errorf("errors %d %v, want one mismatch", res.Errors, res.ErrorSamples)
	}
	if res.Msgs != 1000/64 {
		t.Errorf("verified %d msgs before the bad byte, want %d", res.Msgs, 1000/64)
	}
}

// A server that swallows requests leaves replies missing; the run still
// ends within Duration plus Drain and reports them.
func TestMissingRepliesBounded(t *testing.T) { forEngines(t, testMissingRepliesBounded) }

func testMissingRepliesBounded(t *testing.T, engine string) {
	addr := server(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	start := time.Now()
	res, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Conns: 2, Depth: 4, Duration: 200 * time.Millisecond, Drain: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("run took %v", el)
	}
	if res.Errors != 2 || res.Msgs != 0 || !strings.Contains(res.ErrorSamples[0], "missing") {
		t.Errorf("errors %d %v msgs %d, want 2 connections with missing replies", res.Errors, res.ErrorSamples, res.Msgs)
	}
}

// With --requests and no duration, a server that never answers still ends
// the run after Drain.
func TestRequestsMissingBounded(t *testing.T) { forEngines(t, testRequestsMissingBounded) }

func testRequestsMissingBounded(t *testing.T, engine string) {
	addr := server(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	start := time.Now()
	res, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Conns: 2, Requests: 10, Drain: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("run took %v", el)
	}
	if res.Errors != 2 || res.Msgs != 0 {
		t.Errorf("errors %d %v msgs %d, want 2 connections with missing replies", res.Errors, res.ErrorSamples, res.Msgs)
	}
}

func TestServerCloses(t *testing.T) { forEngines(t, testServerCloses) }

func testServerCloses(t *testing.T, engine string) {
	addr := server(t, func(c net.Conn) {
		buf := make([]byte, 10)
		io.ReadFull(c, buf)
		c.Write(buf)
	})
	res, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Conns: 3, Size: 10, Duration: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 3 || res.Msgs != 3 {
		t.Errorf("errors %d %v msgs %d, want 3 and 3", res.Errors, res.ErrorSamples, res.Msgs)
	}
}

func TestDialFailure(t *testing.T) { forEngines(t, testDialFailure) }

func testDialFailure(t *testing.T, engine string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Requests: 1}); err == nil {
		t.Error("no error dialing a closed port")
	}
	if _, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Proto: "nope"}); err == nil {
		t.Error("no error for an unknown protocol")
	}
	if engine == "eventpoll" {
		if _, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Rate: 10}); err == nil {
			t.Error("no error for a rate with the eventpoll engine")
		}
	}
}

// respServer answers the SET/GET pairs the resp protocol sends with a map.
func respServer(c net.Conn) {
	br := bufio.NewReader(c)
	store := map[string]string{}
	readLine := func() (string, bool) {
		l, err := br.ReadString('\n')
		return strings.TrimSuffix(l, "\r\n"), err == nil
	}
	for {
		hdr, ok := readLine()
		if !ok || !strings.HasPrefix(hdr, "*") {
			return
		}
		var args []string
		for range int(hdr[1] - '0') {
			if _, ok := readLine(); !ok {
				return
			}
			a, ok := readLine()
			if !ok {
				return
			}
			args = append(args, a)
		}
		var out bytes.Buffer
		switch args[0] {
		case "SET":
			store[args[1]] = args[2]
			out.WriteString("+OK\r\n")
		case "GET":
			v := store[args[1]]
			out.WriteString("$" + strconv.Itoa(len(v)) + "\r\n" + v + "\r\n")
		}
		if _, err := c.Write(out.Bytes()); err != nil {
			return
		}
	}
}

func TestRESP(t *testing.T) { forEngines(t, testRESP) }

func testRESP(t *testing.T, engine string) {
	addr := server(t, respServer)
	res, err := Run(context.Background(), Config{Engine: engine, Addr: addr, Conns: 2, Depth: 4, Size: 20, Proto: "resp", Requests: 1200})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Msgs != 1200 {
		t.Errorf("msgs %d errors %d %v", res.Msgs, res.Errors, res.ErrorSamples)
	}
}

// forEngines runs f as a subtest for each client engine.
func forEngines(t *testing.T, f func(*testing.T, string)) {
	for _, e := range []string{"net", "eventpoll"} {
		t.Run(e, func(t *testing.T) { f(t, e) })
	}
}
