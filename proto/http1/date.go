package http1

import (
	"sync/atomic"
	"time"
)

// dateValue is the Date header value for one second.
type dateValue struct {
	unix int64
	b    []byte
}

var dateCache atomic.Pointer[dateValue]

// appendDate appends now's HTTP date (RFC 9110 IMF-fixdate), formatted at
// most once per second for the whole process.
func appendDate(b []byte, now time.Time) []byte {
	sec := now.Unix()
	d := dateCache.Load()
	if d == nil || d.unix != sec {
		d = &dateValue{unix: sec, b: now.UTC().AppendFormat(nil, time.RFC1123)}
		// RFC1123 in UTC prints "UTC"; HTTP wants "GMT".
		d.b = append(d.b[:len(d.b)-3], "GMT"...)
		dateCache.Store(d)
	}
	return append(b, d.b...)
}
