package loadgen

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// tlsHandshake wraps c in a crypto/tls client and completes the handshake
// within timeout. An empty ServerName is taken from addr's host.
func tlsHandshake(ctx context.Context, c net.Conn, cfg *tls.Config, addr string, timeout time.Duration) (net.Conn, error) {
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
	}
	tc := tls.Client(c, cfg)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}
