package resp

import (
	"math"
	"strconv"
)

func cmdPing(s *Session, args [][]byte, out []byte) []byte {
	switch len(args) {
	case 1:
		return append(out, "+PONG\r\n"...)
	case 2:
		return AppendBulk(out, args[1])
	}
	return AppendError(out, "ERR wrong number of arguments for 'ping' command")
}

func cmdEcho(s *Session, args [][]byte, out []byte) []byte { return AppendBulk(out, args[1]) }

func cmdGet(s *Session, args [][]byte, out []byte) []byte {
	sh := s.st.shardOf(args[1])
	sh.mu.Lock()
	e := sh.lookup(args[1], s.nowFn)
	switch {
	case e == nil:
		out = AppendNull(out)
	case e.kind != kindString:
		out = AppendError(out, errWrongType)
	default:
		out = AppendBulk(out, e.str)
	}
	sh.mu.Unlock()
	return out
}

// setString stores v under key as a string with the given expiry (0: none;
// -1: keep the current one), reusing the entry and its buffer when it can.
// The shard must be locked; e is the key's current live entry or nil.
func setString(sh *shard, key []byte, e *entry, v []byte, expireAt int64) {
	if e == nil {
		e = &entry{}
		sh.m[string(key)] = e
		expireAt = max(expireAt, 0)
	}
	if e.kind != kindString {
		*e = entry{expireAt: e.expireAt}
	}
	if cap(e.str) > 1024 && cap(e.str) > 4*len(v) {
		e.str = nil // do not pin a large old buffer under a small value
	}
	e.str = append(e.str[:0], v...)
	if expireAt >= 0 {
		e.expireAt = expireAt
	}
}

func cmdSet(s *Session, args [][]byte, out []byte) []byte {
	var nx, xx, get, keep bool
	var expireAt int64
	haveExp := false
	for i := 3; i < len(args); i++ {
		a := args[i]
		switch {
		case eqFold(a, "nx") && !xx:
			nx = true
		case eqFold(a, "xx") && !nx:
			xx = true
		case eqFold(a, "get"):
			get = true
		case eqFold(a, "keepttl") && !haveExp:
			keep = true
		case (eqFold(a, "ex") || eqFold(a, "px") || eqFold(a, "exat") || eqFold(a, "pxat")) && !keep && !haveExp && i+1 < len(args):
			n, ok := parseInt(args[i+1])
			if !ok {
				return AppendError(out, errNotInt)
			}
			var unit int64 = 1e9
			if a[0] == 'p' || a[0] == 'P' {
				unit = 1e6
			}
			if n <= 0 || n > math.MaxInt64/unit {
				return AppendError(out, errInvalidTime+"set' command")
			}
			if len(a) == 4 { // EXAT, PXAT: absolute
				expireAt = n * unit
			} else {
				now := s.now()
				if n*unit > math.MaxInt64-now {
					return AppendError(out, errInvalidTime+"set' command")
				}
				expireAt = now + n*unit
			}
			haveExp = true
			i++
		default:
			return AppendError(out, errSyntax)
		}
	}
	key := args[1]
	sh := s.st.shardOf(key)
	sh.mu.Lock()
	e := sh.lookup(key, s.nowFn)
	if get {
		switch {
		case e == nil:
			out = AppendNull(out)
		case e.kind != kindString:
			sh.mu.Unlock()
			return AppendError(out, errWrongType)
		default:
			out = AppendBulk(out, e.str)
		}
	}
	if (nx && e != nil) || (xx && e == nil) {
		sh.mu.Unlock()
		if get {
			return out
		}
		return AppendNull(out)
	}
	if keep {
		expireAt = -1
	}
	setString(sh, key, e, args[2], expireAt)
	sh.mu.Unlock()
	if get {
		return out
	}
	return AppendOK(out)
}

func cmdAppend(s *Session, args [][]byte, out []byte) []byte {
	sh := s.st.shardOf(args[1])
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(args[1], s.nowFn)
	if e == nil {
		setString(sh, args[1], nil, args[2], 0)
		return AppendInt(out, int64(len(args[2])))
	}
	if e.kind != kindString {
		return AppendError(out, errWrongType)
	}
	if len(e.str)+len(args[2]) > s.p.lim.MaxBulkLen {
		return AppendError(out, "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	}
	e.str = append(e.str, args[2]...)
	return AppendInt(out, int64(len(e.str)))
}

func cmdStrlen(s *Session, args [][]byte, out []byte) []byte {
	sh := s.st.shardOf(args[1])
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(args[1], s.nowFn)
	if e == nil {
		return AppendInt(out, 0)
	}
	if e.kind != kindString {
		return AppendError(out, errWrongType)
	}
	return AppendInt(out, int64(len(e.str)))
}

// incrBy adds delta to the integer stored at key, keeping its expiry.
func (s *Session) incrBy(key []byte, delta int64, out []byte) []byte {
	sh := s.st.shardOf(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, s.nowFn)
	var cur int64
	if e != nil {
		if e.kind != kindString {
			return AppendError(out, errWrongType)
		}
		var ok bool
		if cur, ok = parseInt(e.str); !ok {
			return AppendError(out, errNotInt)
		}
	}
	if (delta < 0 && cur < math.MinInt64-delta) || (delta > 0 && cur > math.MaxInt64-delta) {
		return AppendError(out, errOverflow)
	}
	cur += delta
	if e == nil {
		e = &entry{}
		sh.m[string(key)] = e
	}
	e.str = strconv.AppendInt(e.str[:0], cur, 10)
	return AppendInt(out, cur)
}

func cmdIncr(s *Session, args [][]byte, out []byte) []byte { return s.incrBy(args[1], 1, out) }
func cmdDecr(s *Session, args [][]byte, out []byte) []byte { return s.incrBy(args[1], -1, out) }

func cmdIncrBy(s *Session, args [][]byte, out []byte) []byte {
	d, ok := parseInt(args[2])
	if !ok {
		return AppendError(out, errNotInt)
	}
	return s.incrBy(args[1], d, out)
}

func cmdDecrBy(s *Session, args [][]byte, out []byte) []byte {
	d, ok := parseInt(args[2])
	if !ok || d == math.MinInt64 {
		return AppendError(out, "ERR decrement would overflow")
	}
	return s.incrBy(args[1], -d, out)
}

func cmdMGet(s *Session, args [][]byte, out []byte) []byte {
	keys := args[1:]
	var ls lockSet
	for _, k := range keys {
		ls.add(s.st.shardIndex(k))
	}
	s.st.lockAll(&ls)
	out = AppendArray(out, len(keys))
	for _, k := range keys {
		e := s.st.shardOf(k).lookup(k, s.nowFn)
		if e == nil || e.kind != kindString {
			out = AppendNull(out)
		} else {
			out = AppendBulk(out, e.str)
		}
	}
	s.st.unlockAll(&ls)
	return out
}

func cmdMSet(s *Session, args [][]byte, out []byte) []byte {
	if len(args)%2 != 1 {
		return AppendError(out, "ERR wrong number of arguments for 'mset' command")
	}
	var ls lockSet
	for i := 1; i < len(args); i += 2 {
		ls.add(s.st.shardIndex(args[i]))
	}
	s.st.lockAll(&ls)
	for i := 1; i < len(args); i += 2 {
		sh := s.st.shardOf(args[i])
		setString(sh, args[i], sh.lookup(args[i], s.nowFn), args[i+1], 0)
	}
	s.st.unlockAll(&ls)
	return AppendOK(out)
}
