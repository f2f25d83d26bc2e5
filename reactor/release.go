package reactor

import (
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Memory after a burst. Connections borrow large buffers only while they
// hold unsent output or unconsumed input, and give them back to the pools
// when drained. But the Go runtime returns freed memory to the operating
// system only after a garbage collection, and a server that has gone quiet
// allocates nothing, so none runs (the runtime forces one every two
// minutes): after a burst, the process would keep its peak RSS. So the
// reactor watches the bytes of large buffers it has lent: once they have
// reached releaseBurst and then stayed under an eighth of that peak for
// releaseQuiet, it empties the pools and returns the memory to the system
// (two collections, debug.FreeOSMemory). That happens at most once per
// burst and never under sustained load, where the lent bytes stay high.
const (
	largeBuf     = 64 << 10 // buffers of this size class and above are watched
	releaseBurst = 32 << 20
	releaseQuiet = time.Second
	releaseTick  = 250 * time.Millisecond
)

var (
	largeHeld    atomic.Int64 // bytes in lent buffers of largeBuf or more
	largePeak    atomic.Int64 // the most lent since the last release
	releaseArmed atomic.Bool  // a release check is scheduled
	releases     atomic.Int64 // releases done (tests)
)

// lendLarge records n bytes lent (n > 0) or given back (n < 0) in large
// buffers, and schedules a release check after a burst.
func lendLarge(n int) {
	h := largeHeld.Add(int64(n))
	if n < 0 {
		return
	}
	for p := largePeak.Load(); h > p && !largePeak.CompareAndSwap(p, h); p = largePeak.Load() {
	}
	if h >= releaseBurst && releaseArmed.CompareAndSwap(false, true) {
		time.AfterFunc(releaseTick, func() { releaseCheck(0) })
	}
}

// releaseCheck runs every releaseTick after a burst: once the lent bytes
// have stayed low for releaseQuiet, it returns the memory.
func releaseCheck(quiet time.Duration) {
	if largeHeld.Load() > largePeak.Load()/8 {
		quiet = 0
	} else {
		quiet += releaseTick
	}
	if quiet < releaseQuiet {
		time.AfterFunc(releaseTick, func() { releaseCheck(quiet) })
		return
	}
	largePeak.Store(max(largeHeld.Load(), 0))
	releaseArmed.Store(false)
	runtime.GC()         // pooled buffers move to the pools' victim caches
	debug.FreeOSMemory() // which this collection frees; then the heap is returned
	releases.Add(1)
}
