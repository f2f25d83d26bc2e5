package reactor

import (
	"bytes"
	"net"
	"runtime"
	"testing"
	"time"
)

// TestMemoryAfterBurst: 16 connections each make the server queue its
// high-water mark of replies (64 MiB lent in all), then every client
// closes. Within 5 s the heap returns to where it was and the freed memory
// goes back to the system (before, the idle server ran no collection and
// kept its peak).
func TestMemoryAfterBurst(t *testing.T) {
	const conns, size = 16, 256 << 10
	p := newPipeProbe(size, true)
	s := &Server{Handler: p, Loops: 2}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseInuse := ms.HeapInuse
	before := releases.Load()
	t.Logf("lent at start: %d KiB, peak %d KiB, armed %v", largeHeld.Load()>>10, largePeak.Load()>>10, releaseArmed.Load())

	var cs []net.Conn
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(32 << 10)
		c.Write(bytes.Repeat([]byte("g\n"), 100))
		cs = append(cs, c)
	}
	quiet(t, p.ran.Load)
	runtime.ReadMemStats(&ms)
	peak := ms.HeapInuse
	if lent := largeHeld.Load(); lent < 32<<20 {
		t.Fatalf("only %d MiB lent at the peak: the test would prove nothing", lent>>20)
	}
	for _, c := range cs {
		c.Close()
	}
	closed := time.Now()
	for {
		runtime.ReadMemStats(&ms)
		retained := ms.HeapIdle - ms.HeapReleased
		if ms.HeapInuse < baseInuse+16<<20 && retained < 16<<20 && releases.Load() > before {
			t.Logf("heap in use: %d MiB before, %d MiB at the peak, %d MiB %v after the close; %d MiB free but retained",
				baseInuse>>20, peak>>20, ms.HeapInuse>>20, time.Since(closed).Round(100*time.Millisecond), retained>>20)
			return
		}
		if time.Since(closed) > 5*time.Second {
			t.Fatalf("5 s after the close: heap in use %d MiB (before the burst %d MiB, peak %d MiB), %d MiB free but retained, %d releases",
				ms.HeapInuse>>20, baseInuse>>20, peak>>20, retained>>20, releases.Load()-before)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
