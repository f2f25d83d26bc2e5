package resp

import (
	"math"
	"sort"
)

// Error replies, worded as Redis words them.
const (
	errWrongType   = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNotInt      = "ERR value is not an integer or out of range"
	errSyntax      = "ERR syntax error"
	errOverflow    = "ERR increment or decrement would overflow"
	errPositive    = "ERR value is out of range, must be positive"
	errDBIndex     = "ERR DB index is out of range"
	errNoProto     = "NOPROTO unsupported protocol version"
	errUnknownSub  = "ERR unknown subcommand"
	errInvalidTime = "ERR invalid expire time in '"
)

// command describes one command: its name, its arity as Redis counts it
// (n: exactly n arguments including the name; -n: at least n), its flags
// and key positions (for COMMAND), and its implementation.
type command struct {
	name              string
	arity             int
	flags             []string
	first, last, step int
	fn                func(s *Session, args [][]byte, out []byte) []byte
}

// commandTable maps lower-case names to commands; filled by init.
var commandTable = map[string]*command{}

// commandNames lists the table's names in order, for COMMAND.
var commandNames []string

func register(name string, arity int, flags []string, first, last, step int, fn func(*Session, [][]byte, []byte) []byte) {
	commandTable[name] = &command{name, arity, flags, first, last, step, fn}
	commandNames = append(commandNames, name)
	sort.Strings(commandNames)
}

var (
	fRead  = []string{"readonly", "fast"}
	fWrite = []string{"write", "denyoom", "fast"}
	fSlowW = []string{"write"}
	fAdmin = []string{"loading", "stale", "fast"}
)

func init() {
	// Connection and server.
	register("ping", -1, fAdmin, 0, 0, 0, cmdPing)
	register("echo", 2, fAdmin, 0, 0, 0, cmdEcho)
	register("quit", -1, fAdmin, 0, 0, 0, nil) // handled by exec
	register("select", 2, fAdmin, 0, 0, 0, cmdSelect)
	register("hello", -1, fAdmin, 0, 0, 0, cmdHello)
	register("client", -2, fAdmin, 0, 0, 0, cmdClient)
	register("dbsize", 1, fRead, 0, 0, 0, cmdDBSize)
	register("flushall", -1, fSlowW, 0, 0, 0, cmdFlushAll)
	register("flushdb", -1, fSlowW, 0, 0, 0, cmdFlushAll)
	register("info", -1, fAdmin, 0, 0, 0, cmdInfo)
	register("config", -2, fAdmin, 0, 0, 0, cmdConfig)
	register("command", -1, fAdmin, 0, 0, 0, cmdCommand)
	// Strings.
	register("get", 2, fRead, 1, 1, 1, cmdGet)
	register("set", -3, []string{"write", "denyoom"}, 1, 1, 1, cmdSet)
	register("append", 3, fWrite, 1, 1, 1, cmdAppend)
	register("strlen", 2, fRead, 1, 1, 1, cmdStrlen)
	register("incr", 2, fWrite, 1, 1, 1, cmdIncr)
	register("decr", 2, fWrite, 1, 1, 1, cmdDecr)
	register("incrby", 3, fWrite, 1, 1, 1, cmdIncrBy)
	register("decrby", 3, fWrite, 1, 1, 1, cmdDecrBy)
	register("mget", -2, fRead, 1, -1, 1, cmdMGet)
	register("mset", -3, []string{"write", "denyoom"}, 1, -1, 2, cmdMSet)
	// Keys.
	register("del", -2, fSlowW, 1, -1, 1, cmdDel)
	register("exists", -2, fRead, 1, -1, 1, cmdExists)
	register("expire", -3, []string{"write", "fast"}, 1, 1, 1, cmdExpire)
	register("pexpire", -3, []string{"write", "fast"}, 1, 1, 1, cmdPExpire)
	register("persist", 2, []string{"write", "fast"}, 1, 1, 1, cmdPersist)
	register("ttl", 2, fRead, 1, 1, 1, cmdTTL)
	register("pttl", 2, fRead, 1, 1, 1, cmdPTTL)
	register("type", 2, fRead, 1, 1, 1, cmdType)
	// Lists.
	register("lpush", -3, fWrite, 1, 1, 1, cmdLPush)
	register("rpush", -3, fWrite, 1, 1, 1, cmdRPush)
	register("lpop", -2, []string{"write", "fast"}, 1, 1, 1, cmdLPop)
	register("rpop", -2, []string{"write", "fast"}, 1, 1, 1, cmdRPop)
	register("llen", 2, fRead, 1, 1, 1, cmdLLen)
	register("lrange", 4, []string{"readonly"}, 1, 1, 1, cmdLRange)
	// Sets.
	register("sadd", -3, fWrite, 1, 1, 1, cmdSAdd)
	register("srem", -3, []string{"write", "fast"}, 1, 1, 1, cmdSRem)
	register("smembers", 2, []string{"readonly"}, 1, 1, 1, cmdSMembers)
	register("sismember", 3, fRead, 1, 1, 1, cmdSIsMember)
	register("scard", 2, fRead, 1, 1, 1, cmdSCard)
	// Hashes.
	register("hset", -4, fWrite, 1, 1, 1, cmdHSet)
	register("hget", 3, fRead, 1, 1, 1, cmdHGet)
	register("hdel", -3, []string{"write", "fast"}, 1, 1, 1, cmdHDel)
	register("hlen", 2, fRead, 1, 1, 1, cmdHLen)
	register("hgetall", 2, []string{"readonly"}, 1, 1, 1, cmdHGetAll)
}

// lowerName copies name into buf in lower case; false if it does not fit.
func lowerName(name []byte, buf []byte) ([]byte, bool) {
	if len(name) > len(buf) {
		return nil, false
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(name)], true
}

// exec runs one command, appending its reply. quit is true after QUIT.
func (s *Session) exec(args [][]byte, out []byte) (reply []byte, quit bool) {
	var buf [32]byte
	name, ok := lowerName(args[0], buf[:])
	var cmd *command
	if ok {
		cmd = commandTable[string(name)]
	}
	if cmd == nil {
		return AppendError(out, unknownCommand(args)), false
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || len(args) < -cmd.arity {
		return AppendError(out, "ERR wrong number of arguments for '"+cmd.name+"' command"), false
	}
	if cmd.fn == nil { // QUIT
		return AppendOK(out), true
	}
	return cmd.fn(s, args, out), false
}

// unknownCommand words the error as Redis 7 does.
func unknownCommand(args [][]byte) string {
	name := args[0]
	if len(name) > 128 {
		name = name[:128]
	}
	msg := "ERR unknown command '" + string(name) + "', with args beginning with: "
	rest := ""
	for _, a := range args[1:] {
		if len(rest) >= 128 {
			break
		}
		a = a[:min(len(a), 128-len(rest))]
		rest += "'" + string(a) + "' "
	}
	return msg + rest
}

// eqFold reports whether b equals the lower-case ASCII word s, ignoring case.
func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// parseInt parses a 64-bit decimal integer the way Redis' string2ll does:
// an optional '-', no '+', no spaces, no leading zeros.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
