// Command eventpoll runs the project's servers and measurements.
//
//	eventpoll serve  [flags]   run a server (echo, print, resp, http) on the reactor
//	eventpoll load   [flags]   drive a server with a pipelined load and verify replies
//	eventpoll scale  [flags]   time one Wait against the number of idle fds per backend
//
// Run "eventpoll COMMAND -h" for the flags of a command.
//
// Exit status: 0 on success (for serve: every connection closed gracefully
// after SIGINT or SIGTERM), 1 on an error (for serve: also when
// --shutdown-timeout passed and connections were cut; the log says how
// many), 2 on an unknown command.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

type command struct {
	name  string
	usage string
	run   func(args []string) error
}

// commands is filled by the files that implement each command (serve.go,
// load.go, scale.go) through init functions.
var commands []command

func register(name, usage string, run func(args []string) error) {
	commands = append(commands, command{name, usage, run})
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: eventpoll COMMAND [flags]")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-7s %s\n", c.name, c.usage)
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	for _, c := range commands {
		if c.name == os.Args[1] {
			if err := c.run(os.Args[2:]); errors.Is(err, flag.ErrHelp) {
				return // -h: the usage was printed
			} else if err != nil {
				fmt.Fprintln(os.Stderr, "eventpoll "+c.name+":", err)
				os.Exit(1)
			}
			return
		}
	}
	usage()
	os.Exit(2)
}
