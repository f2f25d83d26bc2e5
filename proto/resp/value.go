package resp

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ErrIncomplete is returned by ParseValue when its input ends before a whole value.
var ErrIncomplete = errors.New("resp: incomplete value")

// ErrProtocol is wrapped by every ParseValue error about malformed input or a limit.
var ErrProtocol = errors.New("resp: protocol error")

// Value is one RESP2 value as ParseValue returns it.
type Value struct {
	// Type is the type byte: '+' simple string, '-' error, ':' integer,
	// '$' bulk string, '*' array.
	Type byte
	// Str holds the text of a simple string, an error or a bulk string (a
	// sub-slice of the parsed input).
	Str []byte
	// Int holds an integer reply.
	Int int64
	// Array holds the elements of an array.
	Array []Value
	// Null is true for the null bulk string and the null array.
	Null bool
}

// String renders v for test messages and debugging.
func (v Value) String() string {
	switch v.Type {
	case '+':
		return string(v.Str)
	case '-':
		return "ERR(" + string(v.Str) + ")"
	case ':':
		return strconv.FormatInt(v.Int, 10)
	case '$':
		if v.Null {
			return "(nil)"
		}
		return strconv.Quote(string(v.Str))
	case '*':
		if v.Null {
			return "(nil array)"
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for i, e := range v.Array {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(e.String())
		}
		b.WriteByte(']')
		return b.String()
	}
	return "?"
}

// ParseValue parses one RESP2 value at the start of b, within lim (zero
// fields mean defaults; MaxDepth bounds array nesting). It returns the
// value and the number of bytes it occupies, ErrIncomplete when b ends
// before the value does, or an error wrapping ErrProtocol. Strings in the
// value are sub-slices of b.
func ParseValue(b []byte, lim Limits) (Value, int, error) {
	lim = lim.withDefaults()
	return parseValue(b, lim, 0)
}

func protoErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, a...))
}

func parseValue(b []byte, lim Limits, depth int) (Value, int, error) {
	if len(b) == 0 {
		return Value{}, 0, ErrIncomplete
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		if len(b) > lim.MaxInlineLen {
			return Value{}, 0, protoErr("line too long")
		}
		return Value{}, 0, ErrIncomplete
	}
	if nl > lim.MaxInlineLen {
		return Value{}, 0, protoErr("line too long")
	}
	if nl < 2 || b[nl-1] != '\r' {
		return Value{}, 0, protoErr("line not terminated by CRLF")
	}
	line := b[1 : nl-1]
	v := Value{Type: b[0]}
	switch b[0] {
	case '+', '-':
		if bytes.IndexByte(line, '\r') >= 0 {
			return Value{}, 0, protoErr("CR inside a simple string")
		}
		v.Str = line
		return v, nl + 1, nil
	case ':':
		n, err := strconv.ParseInt(string(line), 10, 64)
		if err != nil {
			return Value{}, 0, protoErr("invalid integer %q", line)
		}
		v.Int = n
		return v, nl + 1, nil
	case '$':
		n, ok := parseLen(line)
		if !ok || n < -1 || n > lim.MaxBulkLen {
			return Value{}, 0, protoErr("invalid bulk length %q", line)
		}
		if n == -1 {
			v.Null = true
			return v, nl + 1, nil
		}
		end := nl + 1 + n
		if end+2 > len(b) {
			return Value{}, 0, ErrIncomplete
		}
		if b[end] != '\r' || b[end+1] != '\n' {
			return Value{}, 0, protoErr("bulk string not terminated by CRLF")
		}
		v.Str = b[nl+1 : end : end]
		return v, end + 2, nil
	case '*':
		n, ok := parseLen(line)
		if !ok || n < -1 || n > lim.MaxArrayLen {
			return Value{}, 0, protoErr("invalid array length %q", line)
		}
		if n == -1 {
			v.Null = true
			return v, nl + 1, nil
		}
		if depth >= lim.MaxDepth {
			return Value{}, 0, protoErr("arrays nested deeper than %d", lim.MaxDepth)
		}
		off := nl + 1
		// Each element takes at least 3 bytes; do not trust n for the capacity.
		v.Array = make([]Value, 0, min(n, (len(b)-off)/3+1))
		for i := 0; i < n; i++ {
			e, m, err := parseValue(b[off:], lim, depth+1)
			if err != nil {
				return Value{}, 0, err
			}
			v.Array = append(v.Array, e)
			off += m
		}
		return v, off, nil
	}
	return Value{}, 0, protoErr("unknown type byte %q", b[0])
}
