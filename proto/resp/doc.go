// Package resp implements the Redis serialization protocol (RESP2) and an
// in-memory key-value server that speaks enough Redis for redis-cli,
// redis-benchmark and go-redis.
//
// The protocol engine is transport-free: Session.Process parses every
// complete command in a byte slice, appends the replies to an output slice
// and reports how many input bytes it consumed, so a partial command simply
// waits for more bytes. Command arguments are sub-slices of the input (no
// copy), and the hot commands (PING, GET, SET, INCR) allocate nothing in
// steady state. NewHandler wraps it for the reactor.
//
// Limits (bulk length, array length, inline line length, unconsumed input)
// are enforced with the same error replies Redis sends, followed by a close.
package resp
