package reactor

import (
	"fmt"
	"net"
	"runtime/debug"
)

// PanicError is the error a connection is closed with when one of its
// callbacks (Handler, WritableHandler, ReadHangupHandler, work given to
// Conn.Go) panicked: OnClose and Server.Logger receive it. It carries the
// panic value and the stack of the goroutine that panicked.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic (runtime/debug.Stack).
	Stack []byte
}

// Error returns the panic value and the first line of the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("reactor: handler panic: %v", e.Value)
}

// Unwrap returns the panic value when it is an error, so that errors.Is
// and errors.As see through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// newPanicError wraps a recovered value; a value that already is a
// *PanicError (a protocol that recovered a handler's panic and re-raised
// it) is kept with its own stack.
func newPanicError(v any) *PanicError {
	if pe, ok := v.(*PanicError); ok {
		return pe
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// guard is deferred around each callback of c. When the callback panicked
// (and Server.CrashOnPanic is off) it reports the panic and aborts c: its
// queued output is dropped and OnClose gets the *PanicError.
func (l *Loop) guard(c *Conn) {
	if l.cfg.crash {
		return
	}
	if v := recover(); v != nil {
		l.connPanic(c, newPanicError(v))
	}
}

// connPanic reports a recovered panic and aborts the connection.
func (l *Loop) connPanic(c *Conn, pe *PanicError) {
	l.reportPanic(c, pe)
	if c == nil || c.state == stateClosed {
		return
	}
	c.fatal = pe
	c.abort = true
	c.markDirty()
}

// guardLoop is deferred around callbacks that belong to no connection
// (Loop.Submit functions, Loop.AfterFunc timers, PacketHandler.OnPacket).
func (l *Loop) guardLoop() {
	if l.cfg.crash {
		return
	}
	if v := recover(); v != nil {
		l.reportPanic(nil, newPanicError(v))
	}
}

// reportPanic hands a panic to Server.PanicHandler, or logs it.
func (l *Loop) reportPanic(c *Conn, pe *PanicError) {
	if h := l.cfg.onPanic; h != nil {
		defer func() {
			if v := recover(); v != nil {
				l.cfg.log.Error("reactor: PanicHandler panicked", "loop", l.id, "panic", v)
			}
		}()
		h(c, pe)
		return
	}
	var raddr net.Addr
	if c != nil {
		raddr = c.RemoteAddr()
	}
	l.cfg.log.Error("reactor: recovered panic", "loop", l.id, "remote", raddr, "panic", pe.Value, "stack", string(pe.Stack))
}

// The callbacks, each under a guard.

func (l *Loop) callOpen(c *Conn) {
	defer l.guard(c)
	c.handler.OnOpen(c)
}

func (l *Loop) callData(c *Conn) {
	c.stash = false // every byte of c.in is now delivered
	defer l.guard(c)
	c.handler.OnData(c)
}

func (l *Loop) callReadHangup(h ReadHangupHandler, c *Conn) {
	defer l.guard(c)
	h.OnReadHangup(c)
}

func (l *Loop) callWritable(h WritableHandler, c *Conn) {
	defer l.guard(c)
	h.OnWritable(c)
}

// callClose runs OnClose; the connection is already closed, so a panic is
// only reported.
func (l *Loop) callClose(c *Conn, err error) {
	defer l.guard(c)
	c.handler.OnClose(c, err)
}

func (l *Loop) callFunc(f func()) {
	defer l.guardLoop()
	f()
}

func (l *Loop) callPacket(h PacketHandler, pc *PacketConn, p []byte, from net.Addr) {
	defer l.guardLoop()
	h.OnPacket(pc, p, from)
}
