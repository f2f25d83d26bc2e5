package resp

import "bytes"

// parseStatus tells what parseCommand found at the start of its input.
type parseStatus uint8

const (
	parsedCommand    parseStatus = iota // a complete command; args are set
	parsedEmpty                         // an empty command (blank line, *0 or *-1): skip it
	parsedIncomplete                    // more bytes are needed
	parsedError                         // protocol error: reply and close
)

// Protocol error replies, worded as Redis words them.
const (
	errMbulkLen      = "ERR Protocol error: invalid multibulk length"
	errBulkLen       = "ERR Protocol error: invalid bulk length"
	errBigMbulk      = "ERR Protocol error: too big mbulk count string"
	errBigBulk       = "ERR Protocol error: too big bulk count string"
	errBigInline     = "ERR Protocol error: too big inline request"
	errUnbalanced    = "ERR Protocol error: unbalanced quotes in request"
	errBulkFormat    = "ERR Protocol error: invalid bulk format"
	errQueryBuffer   = "ERR Protocol error: query buffer limit exceeded"
	errExpectDollarP = "ERR Protocol error: expected '$', got '"
)

// span is an argument as offsets from the start of the command.
type span struct{ start, end int }

// parser holds the resumable state of one connection's command parser. A
// multibulk command that arrives in pieces is resumed where it stopped, so
// a large command costs O(size) in total, not O(size^2). Offsets, not
// slices, are kept, because the caller's buffer may move between calls.
type parser struct {
	lim    Limits
	active bool // inside a multibulk command
	argc   int  // declared element count
	off    int  // offset of the next element from the command start
	spans  []span
	args   [][]byte
	inline []byte // decoded quoted inline arguments
	err    string // the protocol error when status is parsedError
}

// parseCommand parses one command at the start of b. The checks below bound
// the unconsumed input a partial command can hold to MaxQueryBuffer +
// MaxInlineLen: header lines are bounded by MaxInlineLen and every bulk's
// declared end by MaxQueryBuffer. The same checks give the same verdict
// whether a line arrives whole or in pieces, so a command split at any
// byte boundary parses exactly as it does whole. On parsedCommand and
// parsedEmpty, n is the number of bytes it occupies; on parsedCommand the
// arguments are in p.args (sub-slices of b, or of p.inline for quoted
// inline arguments), valid until the next call.
func (p *parser) parseCommand(b []byte) (st parseStatus, n int) {
	if !p.active {
		if len(b) == 0 {
			return parsedIncomplete, 0
		}
		if b[0] != '*' {
			return p.parseInline(b)
		}
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			if len(b) > p.lim.MaxInlineLen {
				return p.fail(errBigMbulk)
			}
			return parsedIncomplete, 0
		}
		if nl > p.lim.MaxInlineLen {
			return p.fail(errBigMbulk)
		}
		if nl < 2 || b[nl-1] != '\r' {
			return p.fail(errMbulkLen)
		}
		argc, ok := parseLen(b[1 : nl-1])
		if !ok || argc > p.lim.MaxArrayLen {
			return p.fail(errMbulkLen)
		}
		if argc <= 0 {
			return parsedEmpty, nl + 1
		}
		p.active, p.argc, p.off = true, argc, nl+1
		p.spans = p.spans[:0]
	}
	for len(p.spans) < p.argc {
		off := p.off
		if off >= len(b) {
			return parsedIncomplete, 0
		}
		if b[off] != '$' {
			p.err = errExpectDollarP + string(b[off:off+1]) + "'"
			p.active = false
			return parsedError, 0
		}
		nl := bytes.IndexByte(b[off:], '\n')
		if nl < 0 {
			if len(b)-off > p.lim.MaxInlineLen {
				return p.fail(errBigBulk)
			}
			return parsedIncomplete, 0
		}
		if nl > p.lim.MaxInlineLen {
			return p.fail(errBigBulk)
		}
		nl += off
		if nl-off < 2 || b[nl-1] != '\r' {
			return p.fail(errBulkLen)
		}
		blen, ok := parseLen(b[off+1 : nl-1])
		if !ok || blen < 0 || blen > p.lim.MaxBulkLen {
			return p.fail(errBulkLen)
		}
		start := nl + 1
		end := start + blen
		if end+2 > p.lim.MaxQueryBuffer {
			return p.fail(errQueryBuffer)
		}
		if end+2 > len(b) {
			return parsedIncomplete, 0
		}
		if b[end] != '\r' || b[end+1] != '\n' {
			return p.fail(errBulkFormat)
		}
		p.spans = append(p.spans, span{start, end})
		p.off = end + 2
	}
	p.active = false
	p.args = p.args[:0]
	for _, s := range p.spans {
		p.args = append(p.args, b[s.start:s.end:s.end])
	}
	return parsedCommand, p.off
}

func (p *parser) fail(msg string) (parseStatus, int) {
	p.err = msg
	p.active = false
	return parsedError, 0
}

// reset forgets any partial command.
func (p *parser) reset() {
	p.active = false
	if cap(p.spans) > 256 {
		p.spans, p.args = nil, nil // do not keep a huge command's scratch
	}
	if cap(p.inline) > 4096 {
		p.inline = nil
	}
	clear(p.args)
	p.spans = p.spans[:0]
	p.args = p.args[:0]
}

// parseInline parses an inline command: one line of space-separated
// arguments, with "double" and 'single' quoted arguments as redis-cli and
// Redis' sdssplitargs understand them.
func (p *parser) parseInline(b []byte) (parseStatus, int) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		if len(b) > p.lim.MaxInlineLen {
			return p.fail(errBigInline)
		}
		return parsedIncomplete, 0
	}
	if nl > p.lim.MaxInlineLen {
		return p.fail(errBigInline)
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	p.args = p.args[:0]
	p.inline = p.inline[:0]
	if !p.splitInline(line) {
		return p.fail(errUnbalanced)
	}
	if len(p.args) == 0 {
		return parsedEmpty, nl + 1
	}
	return parsedCommand, nl + 1
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// splitInline splits line into p.args, following sdssplitargs. Unquoted
// arguments are sub-slices of line; quoted ones are decoded into p.inline.
// It reports false on unbalanced quotes.
func (p *parser) splitInline(line []byte) bool {
	// Quoted arguments are decoded into p.inline; record them as offsets
	// first, because p.inline may grow (and move) while the line is split.
	type piece struct {
		inl        bool
		start, end int
	}
	var local [16]piece
	pieces := local[:0]
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			break
		}
		switch line[i] {
		case '"':
			start := len(p.inline)
			i++
			closed := false
			for i < len(line) {
				c := line[i]
				if c == '\\' && i+3 < len(line) && line[i+1] == 'x' {
					h, ok1 := hexVal(line[i+2])
					l, ok2 := hexVal(line[i+3])
					if ok1 && ok2 {
						p.inline = append(p.inline, h<<4|l)
						i += 4
						continue
					}
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					default:
						c = line[i]
					}
					p.inline = append(p.inline, c)
					i++
					continue
				}
				if c == '"' {
					// A closing quote must be followed by a space or the end.
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return false
					}
					i++
					closed = true
					break
				}
				p.inline = append(p.inline, c)
				i++
			}
			if !closed {
				return false
			}
			pieces = append(pieces, piece{true, start, len(p.inline)})
		case '\'':
			start := len(p.inline)
			i++
			closed := false
			for i < len(line) {
				c := line[i]
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					p.inline = append(p.inline, '\'')
					i += 2
					continue
				}
				if c == '\'' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return false
					}
					i++
					closed = true
					break
				}
				p.inline = append(p.inline, c)
				i++
			}
			if !closed {
				return false
			}
			pieces = append(pieces, piece{true, start, len(p.inline)})
		default:
			start := i
			for i < len(line) && !isSpace(line[i]) && line[i] != '"' && line[i] != '\'' {
				i++
			}
			if i < len(line) && !isSpace(line[i]) {
				// A quote inside an unquoted word: treat it literally up to
				// the next space, as sdssplitargs does.
				for i < len(line) && !isSpace(line[i]) {
					i++
				}
			}
			pieces = append(pieces, piece{false, start, i})
		}
	}
	for _, pc := range pieces {
		if pc.inl {
			p.args = append(p.args, p.inline[pc.start:pc.end:pc.end])
		} else {
			p.args = append(p.args, line[pc.start:pc.end:pc.end])
		}
	}
	return true
}

// parseLen parses a decimal length as RESP writes it: an optional '-',
// then digits, at most 18 of them.
func parseLen(b []byte) (int, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
