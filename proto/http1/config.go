package http1

import "time"

// Default limits.
const (
	DefaultMaxHeaderBytes = 16 << 10 // request line and headers
	DefaultMaxHeaders     = 100
	DefaultMaxBodyBytes   = 8 << 20
	DefaultReadTimeout    = 10 * time.Second
	DefaultIdleTimeout    = 120 * time.Second
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
	// ReadTimeout bounds the time a request takes to arrive in full (head
	// and body), from its first byte, or from the connection's start for
	// the first request: a peer that trickles a request (slowloris) is
	// closed with reactor.ErrDeadline. It is measured by ServerHandler; 0
	// means DefaultReadTimeout (10 s), negative none.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection after that long without
	// reading or writing (reactor.ErrIdleTimeout); ServerHandler sets it on
	// each connection. 0 means DefaultIdleTimeout (120 s), negative leaves
	// the reactor Server's IdleTimeout.
	IdleTimeout time.Duration
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
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
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
