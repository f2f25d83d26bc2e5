package http1

import "github.com/eventpoll/eventpoll/reactor"

// OnData serves the buffered requests (see reactor.Pipeline) and then
// re-raises a handler's panic, if one happened, for the reactor to report.
func (h *ServerHandler) OnData(c *reactor.Conn) {
	h.Pipeline.OnData(c)
	h.timeRequests(c) // handler.go
	raisePanic(c)
}

// OnWritable resumes the requests that waited for c's output to drain.
func (h *ServerHandler) OnWritable(c *reactor.Conn) {
	h.Pipeline.OnWritable(c)
	h.timeRequests(c)
	raisePanic(c)
}

// OnReadHangup answers the requests already received, then closes c.
func (h *ServerHandler) OnReadHangup(c *reactor.Conn) {
	h.Pipeline.OnReadHangup(c)
	raisePanic(c)
}

// raisePanic re-raises a panic the session recovered from a handler (it
// recovers to keep its own state sound): the responses already built are
// sent as far as the socket takes them, as net/http does, then the reactor
// aborts the connection and reports the *reactor.PanicError, with the
// handler's stack, to OnClose and Server.Logger (or Server.PanicHandler).
func raisePanic(c *reactor.Conn) {
	s, ok := reactor.PipelineSessionOf(c).(*Session)
	if !ok || s.panicked == nil {
		return
	}
	p := s.panicked
	s.panicked = nil
	c.Flush()
	panic(p)
}
