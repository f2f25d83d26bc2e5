// Command bench runs the project's side-by-side echo benchmarks: this
// project's reactor, Go's net, cloudwego/netpoll and a minimal C epoll
// server, each in its own process, driven by a load client in another.
//
//	bench matrix [--quick]    the conns x depth x size matrix, Markdown tables
//	bench loops               throughput against event loops (multi-core)
//	bench server --impl X     one echo server (used by matrix and loops)
//	bench client ...          one load run, JSON (used by matrix and loops)
//	bench idle ...            hold idle connections (RSS measurement)
//	bench tls ...             TLS echo, handshakes and HTTPS (tls_bench.go)
package main

import (
	"fmt"
	"os"
)

var commands = map[string]func([]string) error{
	"matrix":    runMatrix,
	"loops":     runLoops,
	"server":    runServer,
	"client":    runClient,
	"idle":      runIdle,
	"tls":       runTLS,       // tls_bench.go
	"tlsserver": runTLSServer, // tls_servers.go
}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: bench matrix|loops|server|client|idle [flags]")
		os.Exit(2)
	}
	if err := commands[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench "+os.Args[1]+":", err)
		os.Exit(1)
	}
}
