package http1

import "unicode/utf8"

const helloWorld = "Hello, World!"

// Hello returns the handler of the usual plaintext and JSON benchmarks:
// "/" and "/plaintext" answer "Hello, World!" as text/plain, "/json"
// answers {"message":"Hello, World!"} as application/json (serialized per
// request), anything else 404.
func Hello() Handler { return HandlerFunc(serveHello) }

func serveHello(w *ResponseWriter, r *Request) {
	switch string(r.Path) {
	case "/", "/plaintext":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteString(helloWorld)
	case "/json":
		w.Header().Set("Content-Type", "application/json")
		var buf [64]byte
		w.Write(appendJSONMessage(buf[:0], helloWorld))
	default:
		w.WriteHeader(404)
		w.WriteString("404 page not found\n")
	}
}

// appendJSONMessage appends {"message":<msg as a JSON string>}.
func appendJSONMessage(b []byte, msg string) []byte {
	b = append(b, `{"message":`...)
	b = appendJSONString(b, msg)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
