package sim

import ep "github.com/eventpoll/eventpoll"

// The filters (f_event) of EVFILT_READ and EVFILT_WRITE for each kind of
// file, after FreeBSD's filt_piperead/filt_pipewrite and
// filt_soread/filt_sowrite: data is what can be read or written, EV_EOF
// marks the end of a direction, fflags carries the socket error with it.

// readFilter is EVFILT_READ's state on f.
func readFilter(f *file) kfState {
	switch o := f.ops.(type) {
	case *pipeReader:
		p := o.p
		p.mu.Lock()
		defer p.mu.Unlock()
		n := int64(p.buf.len())
		eof := !p.writers
		return kfState{active: n > 0 || eof, data: n, eof: eof}
	case *sock:
		return o.readFilter()
	case *eventfd:
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.count > 0 {
			return kfState{active: true, data: 8}
		}
		return kfState{}
	case *dgram:
		o.mu.Lock()
		defer o.mu.Unlock()
		return kfState{active: len(o.q) > 0, data: int64(o.qbytes)}
	case pollable:
		return kfState{active: o.poll(nil)&readableMask != 0}
	}
	return kfState{active: true} // regular files: always readable
}

// writeFilter is EVFILT_WRITE's state on f.
func writeFilter(f *file) kfState {
	switch o := f.ops.(type) {
	case *pipeWriter:
		p := o.p
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.readers {
			return kfState{active: true, eof: true}
		}
		return kfState{active: p.writableLocked(), data: int64(p.cap - p.buf.len())}
	case *sock:
		return o.writeFilter()
	case *eventfd:
		o.mu.Lock()
		defer o.mu.Unlock()
		return kfState{active: o.count < eventfdMax, data: 8}
	case *dgram:
		return kfState{active: true, data: int64(o.k.cfg.SendBuffer)}
	case pollable:
		return kfState{active: o.poll(nil)&writableMask != 0}
	}
	return kfState{active: true}
}

// readFilter is filt_soread: listening, the accept queue; connected, the
// receive buffer, with EV_EOF once nothing more can arrive (FIN, reset,
// local SHUT_RD) and the pending error in fflags; a pending error alone
// also makes it fire.
func (s *sock) readFilter() kfState {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case sockListening:
		n := int64(s.ln.queued())
		return kfState{active: n > 0, data: n}
	case sockIdle, sockConnecting:
		return kfState{}
	}
	n := int64(s.rbuf.len())
	if s.rcvShut || s.state == sockClosed {
		return kfState{active: true, data: n, eof: true, fflags: uint32(s.err)}
	}
	return kfState{active: n > 0 || s.err != 0, data: n}
}

// writeFilter is filt_sowrite: EV_EOF (with the error) once nothing more
// can be sent; otherwise writable while the send buffer has room.
func (s *sock) writeFilter() kfState {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case sockListening, sockIdle, sockConnecting:
		return kfState{}
	}
	if s.sndShut || s.state == sockClosed {
		return kfState{active: true, eof: true, fflags: uint32(s.err)}
	}
	free := int64(s.freeLocked())
	return kfState{active: free > 0 || s.err != 0, data: free}
}

// The poll conditions that make each filter fire on other files (an
// eventpoll, /dev/null), and the wake-up keys that concern it.
const (
	readableMask = ep.Readable | ep.ReadHangup | ep.Hangup | ep.Error
	writableMask = ep.Writable | ep.Hangup | ep.Error
)
