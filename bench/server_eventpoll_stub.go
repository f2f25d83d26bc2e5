//go:build !reactor

package main

import (
	"context"
	"errors"
)

// serveEventpoll is unavailable until the reactor package is built in
// (go build -tags reactor).
func serveEventpoll(context.Context, serverConfig) error {
	return errors.New("eventpoll reactor server not built in (build with -tags reactor)")
}
