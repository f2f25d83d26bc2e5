//go:build !linux

package main

import (
	"errors"
	"fmt"
	"runtime"
)

// errScaleUnsupported: the scale command measures with eventfds, which
// only Linux has.
var errScaleUnsupported = fmt.Errorf("scale: needs Linux (eventfd), not %s: %w", runtime.GOOS, errors.ErrUnsupported)

// raiseNoFile does nothing here.
func raiseNoFile() {}

func openScaleFDs(idle, active int) (*scaleFDs, error) { return nil, errScaleUnsupported }

func (s *scaleFDs) close() {}

func scaleRaw(backend string, fds *scaleFDs, cfg scaleConfig) (scaleRow, error) {
	return scaleRow{}, errScaleUnsupported
}
