// Package http1 implements an HTTP/1.1 server engine: incremental request
// parsing with limits, keep-alive, pipelining, Content-Length and chunked
// request bodies, chunked responses, HEAD, Expect: 100-continue and the
// HTTP/1.0 keep-alive rules, with a Date header cached per second.
//
// The engine is transport-free: Session.Process parses every complete
// request in a byte slice, runs the Handler for each one in order and
// appends the responses to an output slice, so pipelined requests get
// their responses in request order. A request is handled once it has
// arrived whole, body included (bounded by Config.MaxBodyBytes). Request
// fields are sub-slices of the input (no copy) and the plaintext path
// allocates nothing in steady state. NewHandler wraps it for the reactor.
//
// FromHTTPHandler serves an ordinary net/http Handler: by default off the
// loop, with net/http.Server running over reactor.NetConn (streamed bodies,
// Flush, Hijack, request contexts, timeouts with safe defaults), or, with
// StdHandler.InLoop, on the loop inside this engine.
package http1
