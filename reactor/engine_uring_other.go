//go:build !linux

package reactor

import (
	"errors"
	"fmt"
	"runtime"
)

// uringLoop is the completion engine's state; the engine exists on Linux
// only (engine_uring_linux.go), so here no loop ever has one.
type uringLoop struct{}

// uringConn is a connection's completion-engine state; none here.
//
//lint:ignore U1000 Conn holds one, for the Linux engine's sake
type uringConn struct{}

// completionUnavailable says why the completion engine cannot run: it
// needs io_uring.
func completionUnavailable() error {
	return fmt.Errorf("the completion engine needs Linux io_uring, not %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// The calls below are never made: config falls back to the readiness
// engine, so no loop has a uringLoop.

func newCompletionLoop(*Server, int) (*Loop, error) { return nil, completionUnavailable() }
func (l *Loop) runCompletion()                      {}
func (l *Loop) uringClose()                         {}
func (l *Loop) uringWake()                          {}
func (l *Loop) uringCancel(int)                     {}
func (l *Loop) uringAgain(*Conn)                    {}
func (l *Loop) uringInterest(*Conn)                 {}
func (l *Loop) uringAddConn(*Conn) error            { return completionUnavailable() }
func (l *Loop) uringSend(*Conn)                     {}
func (l *Loop) uringSubmitBeforeClose()             {}
func (l *Loop) uringArmListener(*listenFD)          {}
