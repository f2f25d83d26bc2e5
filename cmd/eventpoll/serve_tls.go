package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/eventpoll/eventpoll/internal/selfsign"
)

// serveTLSFlags are serve's TLS options.
type serveTLSFlags struct {
	cert, key  *string
	selfSigned *bool
}

func addServeTLSFlags(fs *flag.FlagSet) *serveTLSFlags {
	return &serveTLSFlags{
		cert:       fs.String("tls-cert", "", "serve TLS with this PEM certificate (chain) file; needs --tls-key"),
		key:        fs.String("tls-key", "", "PEM private key file for --tls-cert"),
		selfSigned: fs.Bool("tls-self-signed", false, "serve TLS with a certificate made in memory for localhost, 127.0.0.1 and ::1 (its SHA-256 fingerprint is printed)"),
	}
}

// config returns the server's TLS configuration, or nil without TLS flags.
// proto "http" advertises http/1.1 through ALPN.
func (f *serveTLSFlags) config(proto string, stderr io.Writer) (*tls.Config, error) {
	var cert tls.Certificate
	switch {
	case *f.selfSigned && (*f.cert != "" || *f.key != ""):
		return nil, errors.New("--tls-self-signed excludes --tls-cert and --tls-key")
	case *f.selfSigned:
		c, err := selfsign.New()
		if err != nil {
			return nil, fmt.Errorf("self-signed certificate: %w", err)
		}
		cert = c.TLS
		fmt.Fprintf(stderr, "eventpoll serve: TLS self-signed certificate for localhost, 127.0.0.1, ::1; SHA-256 fingerprint %s\n", c.Fingerprint)
	case *f.cert != "" && *f.key != "":
		c, err := tls.LoadX509KeyPair(*f.cert, *f.key)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cert = c
	case *f.cert != "" || *f.key != "":
		return nil, errors.New("--tls-cert and --tls-key go together")
	default:
		return nil, nil
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if proto == "http" {
		cfg.NextProtos = []string{"http/1.1"}
	}
	return cfg, nil
}
