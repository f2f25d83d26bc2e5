package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// The "http" protocol sends "GET / HTTP/1.1" requests (pipelined like the
// others) and checks each response's framing instead of its bytes: a status
// line "HTTP/1.x 200", headers, and a body of exactly Content-Length bytes.
// Chunked responses are refused.

// maxHTTPHead bounds a response's status line and headers.
const maxHTTPHead = 16 << 10

var errHTTPChunked = errors.New("chunked response (only Content-Length framing is supported)")

// parseHTTPHead checks a complete response head (ending in "\r\n\r\n") and
// returns its Content-Length.
func parseHTTPHead(head []byte) (int, error) {
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	status := line[min(len(line), 8):]
	if !bytes.HasPrefix(line, []byte("HTTP/1.")) || !bytes.HasPrefix(status, []byte(" 200")) || len(status) > 4 && status[4] != ' ' {
		return 0, fmt.Errorf("status %q, want 200", line)
	}
	length := -1
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, fmt.Errorf("bad header line %q", line)
		}
		switch string(bytes.ToLower(bytes.TrimSpace(name))) {
		case "content-length":
			n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
			length = n
		case "transfer-encoding":
			return 0, errHTTPChunked
		}
	}
	if length < 0 {
		return 0, errors.New("response without Content-Length")
	}
	return length, nil
}

// readHTTPResponse reads one response from br and returns its size in bytes.
func readHTTPResponse(br *bufio.Reader, head *[]byte) (int, error) {
	h := (*head)[:0]
	for {
		line, err := br.ReadSlice('\n')
		h = append(h, line...)
		if err != nil {
			*head = h
			return len(h), err
		}
		if len(h) > maxHTTPHead {
			return len(h), errors.New("response head too long")
		}
		if len(line) == 2 && line[0] == '\r' || len(line) == 1 {
			break
		}
	}
	*head = h
	n, err := parseHTTPHead(h)
	if err != nil {
		return len(h), err
	}
	if _, err := br.Discard(n); err != nil {
		return len(h), err
	}
	return len(h) + n, nil
}

// httpStream frames responses arriving in pieces (the eventpoll engine).
type httpStream struct {
	head     []byte
	inBody   bool
	bodyLeft int
	size     int // bytes of the response in progress
}

// feed consumes got and calls done(size) for every response completed in it.
func (s *httpStream) feed(got []byte, scratch *[]byte, done func(size int)) error {
	for len(got) > 0 {
		if s.inBody {
			k := min(s.bodyLeft, len(got))
			s.bodyLeft -= k
			s.size += k
			got = got[k:]
			if s.bodyLeft == 0 {
				s.inBody = false
				done(s.size)
				s.size = 0
			}
			continue
		}
		from := max(len(s.head)-3, 0)
		s.head = append(s.head, got...)
		i := bytes.Index(s.head[from:], []byte("\r\n\r\n"))
		if i < 0 {
			if len(s.head) > maxHTTPHead {
				return errors.New("response head too long")
			}
			return nil
		}
		end := from + i + 4
		n, err := parseHTTPHead(s.head[:end])
		if err != nil {
			return err
		}
		*scratch = append((*scratch)[:0], s.head[end:]...)
		got = *scratch
		s.head = s.head[:0]
		s.size = end
		if n == 0 {
			done(s.size)
			s.size = 0
		} else {
			s.inBody, s.bodyLeft = true, n
		}
	}
	return nil
}
