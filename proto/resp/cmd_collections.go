package resp

import "bytes"

// open locks key's shard and returns it with key's live entry (nil when
// missing). The caller unlocks sh.
func (s *Session) open(key []byte) (*shard, *entry) {
	sh := s.st.shardOf(key)
	sh.mu.Lock()
	return sh, sh.lookup(key, s.nowFn)
}

// create stores a new empty entry of kind k under key. sh must be locked.
func create(sh *shard, key []byte, k kind) *entry {
	e := &entry{kind: k}
	switch k {
	case kindList:
		e.list = &deque{}
	case kindSet:
		e.set = make(map[string]struct{})
	case kindHash:
		e.hash = make(map[string][]byte)
	}
	sh.m[string(key)] = e
	return e
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func cmdLPush(s *Session, args [][]byte, out []byte) []byte { return s.push(args, true, out) }
func cmdRPush(s *Session, args [][]byte, out []byte) []byte { return s.push(args, false, out) }

func (s *Session) push(args [][]byte, front bool, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		e = create(sh, args[1], kindList)
	} else if e.kind != kindList {
		return AppendError(out, errWrongType)
	}
	for _, v := range args[2:] {
		if front {
			e.list.pushFront(clone(v))
		} else {
			e.list.pushBack(clone(v))
		}
	}
	return AppendInt(out, int64(e.list.len()))
}

func cmdLPop(s *Session, args [][]byte, out []byte) []byte { return s.pop(args, true, out) }
func cmdRPop(s *Session, args [][]byte, out []byte) []byte { return s.pop(args, false, out) }

func (s *Session) pop(args [][]byte, front bool, out []byte) []byte {
	if len(args) > 3 {
		return AppendError(out, errSyntax)
	}
	count, withCount := int64(1), len(args) == 3
	if withCount {
		var ok bool
		if count, ok = parseInt(args[2]); !ok || count < 0 {
			return AppendError(out, errPositive)
		}
	}
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		if withCount {
			return AppendNullArray(out)
		}
		return AppendNull(out)
	}
	if e.kind != kindList {
		return AppendError(out, errWrongType)
	}
	n := int(min(count, int64(e.list.len())))
	if withCount {
		out = AppendArray(out, n)
	}
	for i := 0; i < n; i++ {
		var v []byte
		if front {
			v = e.list.popFront()
		} else {
			v = e.list.popBack()
		}
		out = AppendBulk(out, v)
	}
	if e.list.len() == 0 {
		delete(sh.m, string(args[1]))
	}
	return out
}

func cmdLLen(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	switch {
	case e == nil:
		return AppendInt(out, 0)
	case e.kind != kindList:
		return AppendError(out, errWrongType)
	}
	return AppendInt(out, int64(e.list.len()))
}

func cmdLRange(s *Session, args [][]byte, out []byte) []byte {
	start, ok1 := parseInt(args[2])
	stop, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		return AppendError(out, errNotInt)
	}
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		return AppendArray(out, 0)
	}
	if e.kind != kindList {
		return AppendError(out, errWrongType)
	}
	n := int64(e.list.len())
	if start < 0 {
		start = max(n+start, 0)
	}
	if stop < 0 {
		stop = n + stop
	}
	stop = min(stop, n-1)
	if start > stop || start >= n {
		return AppendArray(out, 0)
	}
	out = AppendArray(out, int(stop-start+1))
	for i := start; i <= stop; i++ {
		out = AppendBulk(out, e.list.at(int(i)))
	}
	return out
}

func cmdSAdd(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		e = create(sh, args[1], kindSet)
	} else if e.kind != kindSet {
		return AppendError(out, errWrongType)
	}
	added := 0
	for _, m := range args[2:] {
		if _, ok := e.set[string(m)]; !ok {
			e.set[string(m)] = struct{}{}
			added++
		}
	}
	return AppendInt(out, int64(added))
}

func cmdSRem(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		return AppendInt(out, 0)
	}
	if e.kind != kindSet {
		return AppendError(out, errWrongType)
	}
	removed := 0
	for _, m := range args[2:] {
		if _, ok := e.set[string(m)]; ok {
			delete(e.set, string(m))
			removed++
		}
	}
	if len(e.set) == 0 {
		delete(sh.m, string(args[1]))
	}
	return AppendInt(out, int64(removed))
}

func cmdSMembers(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		return AppendArray(out, 0)
	}
	if e.kind != kindSet {
		return AppendError(out, errWrongType)
	}
	out = AppendArray(out, len(e.set))
	for m := range e.set {
		out = AppendBulkString(out, m)
	}
	return out
}

func cmdSIsMember(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		return AppendInt(out, 0)
	}
	if e.kind != kindSet {
		return AppendError(out, errWrongType)
	}
	if _, ok := e.set[string(args[2])]; ok {
		return AppendInt(out, 1)
	}
	return AppendInt(out, 0)
}

func cmdSCard(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		return AppendInt(out, 0)
	}
	if e.kind != kindSet {
		return AppendError(out, errWrongType)
	}
	return AppendInt(out, int64(len(e.set)))
}

func cmdHSet(s *Session, args [][]byte, out []byte) []byte {
	if len(args)%2 != 0 {
		return AppendError(out, "ERR wrong number of arguments for 'hset' command")
	}
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		e = create(sh, args[1], kindHash)
	} else if e.kind != kindHash {
		return AppendError(out, errWrongType)
	}
	added := 0
	for i := 2; i < len(args); i += 2 {
		if old, ok := e.hash[string(args[i])]; ok {
			if bytes.Equal(old, args[i+1]) {
				continue
			}
		} else {
			added++
		}
		e.hash[string(args[i])] = clone(args[i+1])
	}
	return AppendInt(out, int64(added))
}

func cmdHGet(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		return AppendNull(out)
	}
	if e.kind != kindHash {
		return AppendError(out, errWrongType)
	}
	v, ok := e.hash[string(args[2])]
	if !ok {
		return AppendNull(out)
	}
	return AppendBulk(out, v)
}

func cmdHDel(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		return AppendInt(out, 0)
	}
	if e.kind != kindHash {
		return AppendError(out, errWrongType)
	}
	removed := 0
	for _, f := range args[2:] {
		if _, ok := e.hash[string(f)]; ok {
			delete(e.hash, string(f))
			removed++
		}
	}
	if len(e.hash) == 0 {
		delete(sh.m, string(args[1]))
	}
	return AppendInt(out, int64(removed))
}

func cmdHLen(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		return AppendInt(out, 0)
	}
	if e.kind != kindHash {
		return AppendError(out, errWrongType)
	}
	return AppendInt(out, int64(len(e.hash)))
}

func cmdHGetAll(s *Session, args [][]byte, out []byte) []byte {
	sh, e := s.open(args[1])
	defer sh.mu.Unlock()
	if e == nil {
		return AppendArray(out, 0)
	}
	if e.kind != kindHash {
		return AppendError(out, errWrongType)
	}
	out = AppendArray(out, 2*len(e.hash))
	for f, v := range e.hash {
		out = AppendBulkString(out, f)
		out = AppendBulk(out, v)
	}
	return out
}
