package main

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/redcon"
)

// kv is the redcon server's store: one map under one lock, as in redcon's
// example server, holding strings, lists, sets and hashes.
type kv struct {
	mu sync.Mutex
	m  map[string]any
}

func serveRedcon(ctx context.Context, addr string) error {
	db := &kv{m: make(map[string]any)}
	srv := redcon.NewServer(addr, db.handle, nil, nil)
	go func() { <-ctx.Done(); srv.Close() }()
	return srv.ListenAndServe()
}

func (db *kv) handle(conn redcon.Conn, cmd redcon.Command) {
	args := cmd.Args
	switch strings.ToLower(string(args[0])) {
	case "ping":
		conn.WriteString("PONG")
	case "config":
		conn.WriteArray(2)
		conn.WriteBulkString(string(args[len(args)-1]))
		conn.WriteBulkString("")
	case "set":
		db.mu.Lock()
		db.m[string(args[1])] = string(args[2])
		db.mu.Unlock()
		conn.WriteString("OK")
	case "mset":
		db.mu.Lock()
		for i := 1; i+1 < len(args); i += 2 {
			db.m[string(args[i])] = string(args[i+1])
		}
		db.mu.Unlock()
		conn.WriteString("OK")
	case "get":
		db.mu.Lock()
		v, ok := db.m[string(args[1])].(string)
		db.mu.Unlock()
		if !ok {
			conn.WriteNull()
			return
		}
		conn.WriteBulkString(v)
	case "incr":
		db.mu.Lock()
		s, _ := db.m[string(args[1])].(string)
		n, _ := strconv.ParseInt(s, 10, 64)
		n++
		db.m[string(args[1])] = strconv.FormatInt(n, 10)
		db.mu.Unlock()
		conn.WriteInt64(n)
	case "lpush", "rpush":
		db.mu.Lock()
		l, _ := db.m[string(args[1])].(*list)
		if l == nil {
			l = &list{}
			db.m[string(args[1])] = l
		}
		for _, a := range args[2:] {
			if args[0][0]|0x20 == 'l' {
				l.front = append(l.front, string(a))
			} else {
				l.back = append(l.back, string(a))
			}
		}
		n := len(l.front) + len(l.back)
		db.mu.Unlock()
		conn.WriteInt(n)
	case "lpop", "rpop":
		db.mu.Lock()
		l, _ := db.m[string(args[1])].(*list)
		v, ok := "", false
		if l != nil {
			v, ok = l.pop(args[0][0]|0x20 == 'l')
		}
		db.mu.Unlock()
		if !ok {
			conn.WriteNull()
			return
		}
		conn.WriteBulkString(v)
	case "sadd":
		db.mu.Lock()
		s, _ := db.m[string(args[1])].(map[string]struct{})
		if s == nil {
			s = make(map[string]struct{})
			db.m[string(args[1])] = s
		}
		added := 0
		for _, a := range args[2:] {
			if _, ok := s[string(a)]; !ok {
				s[string(a)] = struct{}{}
				added++
			}
		}
		db.mu.Unlock()
		conn.WriteInt(added)
	case "hset":
		db.mu.Lock()
		h, _ := db.m[string(args[1])].(map[string]string)
		if h == nil {
			h = make(map[string]string)
			db.m[string(args[1])] = h
		}
		added := 0
		for i := 2; i+1 < len(args); i += 2 {
			if _, ok := h[string(args[i])]; !ok {
				added++
			}
			h[string(args[i])] = string(args[i+1])
		}
		db.mu.Unlock()
		conn.WriteInt(added)
	default:
		conn.WriteError("ERR unknown command '" + string(args[0]) + "'")
	}
}

// list is a deque: front holds the left end reversed, back the right end.
type list struct{ front, back []string }

func (l *list) pop(left bool) (string, bool) {
	if left {
		if n := len(l.front); n > 0 {
			v := l.front[n-1]
			l.front = l.front[:n-1]
			return v, true
		}
		if len(l.back) > 0 {
			v := l.back[0]
			l.back = l.back[1:]
			return v, true
		}
		return "", false
	}
	if n := len(l.back); n > 0 {
		v := l.back[n-1]
		l.back = l.back[:n-1]
		return v, true
	}
	if len(l.front) > 0 {
		v := l.front[0]
		l.front = l.front[1:]
		return v, true
	}
	return "", false
}
