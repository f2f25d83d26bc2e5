package resp

import "math"

func cmdDel(s *Session, args [][]byte, out []byte) []byte {
	var ls lockSet
	for _, k := range args[1:] {
		ls.add(s.st.shardIndex(k))
	}
	s.st.lockAll(&ls)
	n := 0
	for _, k := range args[1:] {
		sh := s.st.shardOf(k)
		if sh.lookup(k, s.nowFn) != nil {
			delete(sh.m, string(k))
			n++
		}
	}
	s.st.unlockAll(&ls)
	return AppendInt(out, int64(n))
}

func cmdExists(s *Session, args [][]byte, out []byte) []byte {
	var ls lockSet
	for _, k := range args[1:] {
		ls.add(s.st.shardIndex(k))
	}
	s.st.lockAll(&ls)
	n := 0
	for _, k := range args[1:] {
		if s.st.shardOf(k).lookup(k, s.nowFn) != nil {
			n++
		}
	}
	s.st.unlockAll(&ls)
	return AppendInt(out, int64(n))
}

func cmdExpire(s *Session, args [][]byte, out []byte) []byte  { return s.expire(args, 1e9, out) }
func cmdPExpire(s *Session, args [][]byte, out []byte) []byte { return s.expire(args, 1e6, out) }

// expire implements EXPIRE and PEXPIRE key n [NX|XX|GT|LT].
func (s *Session) expire(args [][]byte, unit int64, out []byte) []byte {
	n, ok := parseInt(args[2])
	if !ok {
		return AppendError(out, errNotInt)
	}
	var nx, xx, gt, lt bool
	for _, a := range args[3:] {
		switch {
		case eqFold(a, "nx"):
			nx = true
		case eqFold(a, "xx"):
			xx = true
		case eqFold(a, "gt"):
			gt = true
		case eqFold(a, "lt"):
			lt = true
		default:
			return AppendError(out, "ERR Unsupported option "+string(a))
		}
	}
	if nx && (xx || gt || lt) {
		return AppendError(out, "ERR NX and XX, GT or LT options at the same time are not compatible")
	}
	if gt && lt {
		return AppendError(out, "ERR GT and LT options at the same time are not compatible")
	}
	now := s.now()
	name := "expire"
	if unit == 1e6 {
		name = "pexpire"
	}
	if n > (math.MaxInt64-now)/unit || n < (math.MinInt64+now)/unit {
		return AppendError(out, errInvalidTime+name+"' command")
	}
	at := now + n*unit
	key := args[1]
	sh := s.st.shardOf(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, s.nowFn)
	if e == nil {
		return AppendInt(out, 0)
	}
	// A missing TTL counts as infinite for GT and LT.
	if (nx && e.expireAt != 0) || (xx && e.expireAt == 0) ||
		(gt && (e.expireAt == 0 || at <= e.expireAt)) || (lt && e.expireAt != 0 && at >= e.expireAt) {
		return AppendInt(out, 0)
	}
	if at <= now {
		delete(sh.m, string(key))
		return AppendInt(out, 1)
	}
	e.expireAt = at
	return AppendInt(out, 1)
}

func cmdPersist(s *Session, args [][]byte, out []byte) []byte {
	sh := s.st.shardOf(args[1])
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(args[1], s.nowFn)
	if e == nil || e.expireAt == 0 {
		return AppendInt(out, 0)
	}
	e.expireAt = 0
	return AppendInt(out, 1)
}

func cmdTTL(s *Session, args [][]byte, out []byte) []byte  { return s.ttl(args[1], 1e9, out) }
func cmdPTTL(s *Session, args [][]byte, out []byte) []byte { return s.ttl(args[1], 1e6, out) }

// ttl replies the remaining time to live in unit (rounded as Redis rounds),
// -2 for a missing key and -1 for a key without expiry.
func (s *Session) ttl(key []byte, unit int64, out []byte) []byte {
	sh := s.st.shardOf(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, s.nowFn)
	switch {
	case e == nil:
		return AppendInt(out, -2)
	case e.expireAt == 0:
		return AppendInt(out, -1)
	}
	left := e.expireAt - s.now()
	return AppendInt(out, (left+unit/2)/unit)
}

func cmdType(s *Session, args [][]byte, out []byte) []byte {
	sh := s.st.shardOf(args[1])
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(args[1], s.nowFn)
	if e == nil {
		return append(out, "+none\r\n"...)
	}
	return AppendSimple(out, [...]string{"string", "list", "set", "hash"}[e.kind])
}
