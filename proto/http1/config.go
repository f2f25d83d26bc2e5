package http1

// Default limits.
const (
	DefaultMaxHeaderBytes = 16 << 10 // request line and headers
	DefaultMaxHeaders     = 100
	DefaultMaxBodyBytes   = 8 << 20
)

// Config configures a Session or a Handler. Zero fields mean their defaults.
type Config struct {
	// Handler serves the requests. Required.
	Handler Handler
	// MaxHeaderBytes bounds the request line plus headers (and the trailers
	// of a chunked body); beyond it the reply is 431 and the connection closes.
	MaxHeaderBytes int
	// MaxHeaders bounds the number of header fields (431 beyond it).
	MaxHeaders int
	// MaxBodyBytes bounds a request body, declared or decoded (413 beyond it).
	MaxBodyBytes int
	// ServerName is sent in the Server header; "" sends "eventpoll", "-" sends none.
	ServerName string
}

func (c Config) withDefaults() Config {
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxHeaders <= 0 {
		c.MaxHeaders = DefaultMaxHeaders
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ServerName == "" {
		c.ServerName = "eventpoll"
	}
	return c
}

// MaxRequestBytes is the most unconsumed input a Session holds for one
// request: the header limit plus the largest raw body the limits admit
// (chunk framing included). A transport should let its inbound buffer grow
// to at least this much.
func (c Config) MaxRequestBytes() int {
	c = c.withDefaults()
	return 2*c.MaxHeaderBytes + maxRawBody(c.MaxBodyBytes) + maxChunkLine
}

// maxRawBody bounds a chunked body as sent: the decoded limit plus framing.
func maxRawBody(maxBody int) int { return 2*maxBody + 64<<10 }

// maxChunkLine bounds a chunk-size line (size and extensions).
const maxChunkLine = 4096
