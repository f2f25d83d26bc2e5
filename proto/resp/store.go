package resp

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"time"
)

// kind is the type of the value a key holds.
type kind uint8

const (
	kindString kind = iota
	kindList
	kindSet
	kindHash
)

// entry is one key's value. Only the field for its kind is used.
type entry struct {
	kind     kind
	expireAt int64 // unix nanoseconds; 0: no expiry
	str      []byte
	list     *deque
	set      map[string]struct{}
	hash     map[string][]byte
}

func (e *entry) expired(now int64) bool { return e.expireAt != 0 && e.expireAt <= now }

const numShards = 256

// shard is one lock's part of the key space.
type shard struct {
	mu sync.Mutex
	m  map[string]*entry
	_  [40]byte // keep neighbouring locks on separate cache lines
}

// Store is the in-memory key space: 256 shards, each a map under its own
// mutex, so sessions on several event loops can use it at once. Keys
// expire lazily when accessed, and Sweep (or StartSweeper) removes expired
// keys that nobody touches. Store is safe for concurrent use.
type Store struct {
	seed   maphash.Seed
	shards [numShards]shard
	sweep  sync.Mutex
	next   int // next shard Sweep visits
}

// NewStore returns an empty Store.
func NewStore() *Store {
	st := &Store{seed: maphash.MakeSeed()}
	for i := range st.shards {
		st.shards[i].m = make(map[string]*entry)
	}
	return st
}

func (st *Store) shardIndex(key []byte) int {
	return int(maphash.Bytes(st.seed, key) % numShards)
}

func (st *Store) shardOf(key []byte) *shard { return &st.shards[st.shardIndex(key)] }

// lookup returns the live entry for key, deleting it if it has expired.
// The shard must be locked.
func (sh *shard) lookup(key []byte, now func() int64) *entry {
	e := sh.m[string(key)]
	if e != nil && e.expireAt != 0 && e.expired(now()) {
		delete(sh.m, string(key))
		return nil
	}
	return e
}

// Len returns the number of keys, counting expired keys not yet removed
// (as Redis' DBSIZE does).
func (st *Store) Len() int {
	n := 0
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// Flush removes every key.
func (st *Store) Flush() {
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.mu.Unlock()
	}
}

// Sweep visits up to shards shards (round robin across calls) and removes
// the keys that expired at or before now. It returns how many it removed.
func (st *Store) Sweep(now time.Time, shards int) int {
	st.sweep.Lock()
	start := st.next
	shards = min(shards, numShards)
	st.next = (st.next + shards) % numShards
	st.sweep.Unlock()
	t := now.UnixNano()
	removed := 0
	for i := 0; i < shards; i++ {
		sh := &st.shards[(start+i)%numShards]
		sh.mu.Lock()
		for k, e := range sh.m {
			if e.expired(t) {
				delete(sh.m, k)
				removed++
			}
		}
		sh.mu.Unlock()
	}
	return removed
}

// StartSweeper runs Sweep every interval in a goroutine, visiting all
// shards about once a second (at least 1 shard per tick), until stop is called.
func (st *Store) StartSweeper(interval time.Duration) (stop func()) {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	perTick := max(1, int(numShards*interval/time.Second))
	done := make(chan struct{})
	var once sync.Once
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				st.Sweep(now, perTick)
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

// lockSet is a set of shard indexes, locked in ascending order so that
// multi-key commands (MSET, MGET, DEL, EXISTS) are atomic and deadlock-free.
type lockSet [numShards / 64]uint64

func (ls *lockSet) add(i int) { ls[i/64] |= 1 << (i % 64) }

func (st *Store) lockAll(ls *lockSet) {
	for w := range ls {
		for b := ls[w]; b != 0; b &= b - 1 {
			st.shards[w*64+trailingZeros(b)].mu.Lock()
		}
	}
}

func (st *Store) unlockAll(ls *lockSet) {
	for w := range ls {
		for b := ls[w]; b != 0; b &= b - 1 {
			st.shards[w*64+trailingZeros(b)].mu.Unlock()
		}
	}
}

func trailingZeros(x uint64) int { return bits.TrailingZeros64(x) }
