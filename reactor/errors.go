package reactor

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// Errors a Server passes to Handler.OnClose or returns from its methods.
// Each wraps a syscall.Errno or a standard sentinel, so errors.Is works with
// syscall.ETIMEDOUT, syscall.ENOBUFS or net.ErrClosed as well.
var (
	// ErrServerClosed is returned by Serve after Shutdown or Close, by calls
	// made on a closed server, and passed to OnClose for connections that
	// Close cut off.
	ErrServerClosed = errors.New("reactor: server closed")
	// ErrConnClosed is returned by writes on a connection that is closed or
	// closing. It matches net.ErrClosed.
	ErrConnClosed = fmt.Errorf("reactor: use of closed connection: %w", net.ErrClosed)
	// ErrInboundLimit is passed to OnClose when the handler left more than
	// Server.MaxInbound unconsumed inbound bytes in a connection's buffer.
	ErrInboundLimit = fmt.Errorf("reactor: unconsumed inbound bytes exceed MaxInbound: %w", syscall.ENOBUFS)
	// ErrOutboundLimit is returned by Write, and passed to OnClose, when a
	// connection's queued output would exceed Server.MaxOutbound.
	ErrOutboundLimit = fmt.Errorf("reactor: queued outbound bytes exceed MaxOutbound: %w", syscall.ENOBUFS)
	// ErrIdleTimeout is passed to OnClose for a connection closed because
	// nothing was read or written for its idle timeout.
	ErrIdleTimeout = fmt.Errorf("reactor: idle timeout: %w", syscall.ETIMEDOUT)
	// ErrDeadline is passed to OnClose for a connection closed because its
	// deadline (Conn.SetDeadline) passed.
	ErrDeadline = fmt.Errorf("reactor: deadline exceeded: %w", syscall.ETIMEDOUT)
	// ErrLingerTimeout is passed to OnClose when a graceful close could not
	// deliver the queued output within Server.LingerTimeout.
	ErrLingerTimeout = fmt.Errorf("reactor: queued output not delivered within the linger timeout: %w", syscall.ETIMEDOUT)
	// ErrNoHandler is returned by Serve when the Server has no handler for
	// the listener's kind (Handler for streams, PacketHandler for datagrams).
	ErrNoHandler = errors.New("reactor: no handler for this listener")
)

// opError wraps an error from a system call with the operation's name.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "reactor: " + e.op + ": " + e.err.Error() }

// Unwrap returns the system call's error.
func (e *opError) Unwrap() error { return e.err }

func wrapOp(op string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{op: op, err: err}
}

// isAgain reports whether err says the operation would block.
func isAgain(err error) bool {
	return err == syscall.EAGAIN || errors.Is(err, syscall.EAGAIN)
}

// isErr reports whether err is or wraps the errno e.
func isErr(err error, e syscall.Errno) bool {
	return err == e || errors.Is(err, e)
}
