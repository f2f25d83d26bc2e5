package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
)

// loadTLSFlags are load's TLS options.
type loadTLSFlags struct {
	on, insecure *bool
	ca, name     *string
}

func addLoadTLSFlags(fs *flag.FlagSet) *loadTLSFlags {
	return &loadTLSFlags{
		on:       fs.Bool("tls", false, "connect with TLS (net engine); verify the server with --tls-ca, the system roots, or not at all with --tls-insecure"),
		insecure: fs.Bool("tls-insecure", false, "with --tls: do not verify the server's certificate (for --tls-self-signed servers)"),
		ca:       fs.String("tls-ca", "", "with --tls: PEM file of the CA certificates that verify the server"),
		name:     fs.String("tls-server-name", "", "with --tls: the name to verify and send as SNI (default: the host of --addr)"),
	}
}

// config returns the client TLS configuration, or nil without --tls.
func (f *loadTLSFlags) config() (*tls.Config, error) {
	if !*f.on {
		if *f.insecure || *f.ca != "" || *f.name != "" {
			return nil, errors.New("--tls-insecure, --tls-ca and --tls-server-name need --tls")
		}
		return nil, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: *f.insecure, ServerName: *f.name}
	if *f.ca != "" {
		pem, err := os.ReadFile(*f.ca)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca: no PEM certificate in %s", *f.ca)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
