package resp

import (
	"path"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Version is the Redis version the server reports to clients (INFO, HELLO).
const Version = "7.0.0"

var startTime = time.Now()

func cmdSelect(s *Session, args [][]byte, out []byte) []byte {
	n, ok := parseInt(args[1])
	if !ok {
		return AppendError(out, errNotInt)
	}
	if n != 0 {
		return AppendError(out, errDBIndex)
	}
	return AppendOK(out)
}

// cmdHello answers HELLO for RESP2 only; HELLO 3 gets NOPROTO, which makes
// clients such as go-redis fall back to RESP2.
func cmdHello(s *Session, args [][]byte, out []byte) []byte {
	if len(args) >= 2 {
		v, ok := parseInt(args[1])
		if !ok {
			return AppendError(out, "ERR Protocol version is not an integer or out of range")
		}
		if v != 2 {
			return AppendError(out, errNoProto)
		}
	}
	out = AppendArray(out, 14)
	out = AppendBulkString(out, "server")
	out = AppendBulkString(out, "redis")
	out = AppendBulkString(out, "version")
	out = AppendBulkString(out, Version)
	out = AppendBulkString(out, "proto")
	out = AppendInt(out, 2)
	out = AppendBulkString(out, "id")
	out = AppendInt(out, 1)
	out = AppendBulkString(out, "mode")
	out = AppendBulkString(out, "standalone")
	out = AppendBulkString(out, "role")
	out = AppendBulkString(out, "master")
	out = AppendBulkString(out, "modules")
	return AppendArray(out, 0)
}

// cmdClient accepts the CLIENT subcommands clients send on connect.
func cmdClient(s *Session, args [][]byte, out []byte) []byte {
	sub := args[1]
	switch {
	case eqFold(sub, "setname"), eqFold(sub, "setinfo"):
		return AppendOK(out)
	case eqFold(sub, "getname"):
		return AppendNull(out)
	case eqFold(sub, "id"):
		return AppendInt(out, 1)
	}
	return AppendError(out, errUnknownSub+" '"+string(sub)+"'. Try CLIENT HELP.")
}

func cmdDBSize(s *Session, args [][]byte, out []byte) []byte {
	return AppendInt(out, int64(s.st.Len()))
}

func cmdFlushAll(s *Session, args [][]byte, out []byte) []byte {
	if len(args) > 2 || (len(args) == 2 && !eqFold(args[1], "sync") && !eqFold(args[1], "async")) {
		return AppendError(out, errSyntax)
	}
	s.st.Flush()
	return AppendOK(out)
}

func cmdInfo(s *Session, args [][]byte, out []byte) []byte {
	var b strings.Builder
	b.WriteString("# Server\r\nredis_version:" + Version + "\r\nredis_mode:standalone\r\n")
	b.WriteString("server_name:eventpoll\r\narch_bits:64\r\ngo_version:" + runtime.Version() + "\r\n")
	b.WriteString("uptime_in_seconds:" + strconv.FormatInt(int64(time.Since(startTime)/time.Second), 10) + "\r\n")
	b.WriteString("\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n")
	b.WriteString("\r\n# Keyspace\r\n")
	if n := s.st.Len(); n > 0 {
		b.WriteString("db0:keys=" + strconv.Itoa(n) + ",expires=0,avg_ttl=0\r\n")
	}
	return AppendBulkString(out, b.String())
}

// configValues are the parameters CONFIG GET reports.
var configValues = [][2]string{
	{"appendonly", "no"},
	{"databases", "1"},
	{"maxmemory", "0"},
	{"proto-max-bulk-len", strconv.Itoa(DefaultMaxBulkLen)},
	{"save", ""},
	{"timeout", "0"},
}

func cmdConfig(s *Session, args [][]byte, out []byte) []byte {
	sub := args[1]
	switch {
	case eqFold(sub, "get"):
		if len(args) < 3 {
			return AppendError(out, "ERR wrong number of arguments for 'config|get' command")
		}
		var pairs []string
		for _, kv := range configValues {
			for _, pat := range args[2:] {
				name := kv[0]
				val := kv[1]
				if name == "proto-max-bulk-len" {
					val = strconv.Itoa(s.p.lim.MaxBulkLen)
				}
				if ok, _ := path.Match(strings.ToLower(string(pat)), name); ok {
					pairs = append(pairs, name, val)
					break
				}
			}
		}
		out = AppendArray(out, len(pairs))
		for _, p := range pairs {
			out = AppendBulkString(out, p)
		}
		return out
	case eqFold(sub, "set"), eqFold(sub, "resetstat"):
		return AppendOK(out)
	}
	return AppendError(out, errUnknownSub+" '"+string(sub)+"'. Try CONFIG HELP.")
}

// appendCommandInfo appends COMMAND's description of one command:
// [name, arity, [flags], first key, last key, step].
func appendCommandInfo(out []byte, c *command) []byte {
	out = AppendArray(out, 6)
	out = AppendBulkString(out, c.name)
	out = AppendInt(out, int64(c.arity))
	out = AppendArray(out, len(c.flags))
	for _, f := range c.flags {
		out = AppendSimple(out, f)
	}
	out = AppendInt(out, int64(c.first))
	out = AppendInt(out, int64(c.last))
	return AppendInt(out, int64(c.step))
}

func cmdCommand(s *Session, args [][]byte, out []byte) []byte {
	if len(args) == 1 {
		out = AppendArray(out, len(commandNames))
		for _, n := range commandNames {
			out = appendCommandInfo(out, commandTable[n])
		}
		return out
	}
	sub := args[1]
	switch {
	case eqFold(sub, "count"):
		return AppendInt(out, int64(len(commandNames)))
	case eqFold(sub, "docs"):
		return AppendArray(out, 0)
	case eqFold(sub, "info"):
		out = AppendArray(out, len(args)-2)
		for _, a := range args[2:] {
			var buf [32]byte
			name, ok := lowerName(a, buf[:])
			c := commandTable[string(name)]
			if !ok || c == nil {
				out = AppendNullArray(out)
				continue
			}
			out = appendCommandInfo(out, c)
		}
		return out
	}
	return AppendError(out, errUnknownSub+" '"+string(sub)+"'. Try COMMAND HELP.")
}
