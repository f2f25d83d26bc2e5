package http1_test

import (
	"context"
	"net/http/httptrace"
)

// withGotConn returns a context whose HTTP client trace reports the local
// address of each connection a request uses.
func withGotConn(ctx context.Context, fn func(local string)) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { fn(info.Conn.LocalAddr().String()) },
	})
}
