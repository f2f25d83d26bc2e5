package resp

import "time"

// Default limits, the same as Redis' defaults where Redis has one.
const (
	DefaultMaxBulkLen     = 512 << 20 // proto-max-bulk-len
	DefaultMaxArrayLen    = 1 << 20   // elements in one command
	DefaultMaxInlineLen   = 64 << 10  // PROTO_INLINE_MAX_SIZE
	DefaultMaxQueryBuffer = 1 << 30   // client-query-buffer-limit
)

// Limits bounds what a parser accepts. A zero field means its default.
type Limits struct {
	// MaxBulkLen is the largest bulk string length ($n) accepted.
	MaxBulkLen int
	// MaxArrayLen is the largest array length (*n) accepted.
	MaxArrayLen int
	// MaxInlineLen is the longest line (inline command or a *n / $n header)
	// accepted before its end of line arrives.
	MaxInlineLen int
	// MaxQueryBuffer is the largest command (in bytes, as sent) accepted; a
	// bulk string declared to end beyond it gets an error reply and a close.
	// A session never needs more than MaxQueryBuffer+MaxInlineLen bytes of
	// unconsumed input, so a transport can cap its buffer there.
	MaxQueryBuffer int
	// MaxDepth is the deepest nesting of arrays ParseValue accepts (default 32).
	// Commands are flat arrays of bulk strings, so Session refuses any nesting.
	MaxDepth int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBulkLen <= 0 {
		l.MaxBulkLen = DefaultMaxBulkLen
	}
	if l.MaxArrayLen <= 0 {
		l.MaxArrayLen = DefaultMaxArrayLen
	}
	if l.MaxInlineLen <= 0 {
		l.MaxInlineLen = DefaultMaxInlineLen
	}
	if l.MaxQueryBuffer <= 0 {
		l.MaxQueryBuffer = DefaultMaxQueryBuffer
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 32
	}
	return l
}

// Config configures a Session or a Handler. The zero value serves a fresh
// private Store with the default limits.
type Config struct {
	// Limits bounds the parser.
	Limits Limits
	// Store is the key space; nil means a new one. Share one Store among
	// all sessions of a server (it is safe for concurrent use).
	Store *Store
	// SweepInterval is the period of the expiry sweep NewHandler starts
	// (each tick visits a share of the shards, all of them about once a
	// second); 0 means 100 ms, negative disables it (keys then expire
	// only when accessed).
	SweepInterval time.Duration
}
