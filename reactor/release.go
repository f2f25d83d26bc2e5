package reactor

import (
	"math"
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
// reached releaseBurst and then fallen back (see releaseCheck) for
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
		time.AfterFunc(releaseTick, func() { releaseCheck(0, math.MaxInt64) })
	}
}

// releaseCheck runs every releaseTick after a burst. floor is the least
// lent at a check so far (buffers some connection keeps lending, which the
// burst did not add). Once the lent bytes have fallen by at least half a
// burst from the peak, to within an eighth of the way from the floor to
// the peak, and stayed there for releaseQuiet, it returns the memory. Under
// steady load they do not fall, so no release happens.
func releaseCheck(quiet time.Duration, floor int64) {
	held, peak := largeHeld.Load(), largePeak.Load()
	floor = min(floor, held)
	if peak-held < releaseBurst/2 || held > floor+(peak-floor)/8 {
		quiet = 0
	} else {
		quiet += releaseTick
	}
	if quiet < releaseQuiet {
		time.AfterFunc(releaseTick, func() { releaseCheck(quiet, floor) })
		return
	}
	largePeak.Store(max(held, 0))
	releaseArmed.Store(false)
	runtime.GC()         // pooled buffers move to the pools' victim caches
	debug.FreeOSMemory() // which this collection frees; then the heap is returned
	releases.Add(1)
}
