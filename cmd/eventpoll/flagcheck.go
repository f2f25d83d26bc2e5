package main

import (
	"flag"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/eventpoll/eventpoll"
	"github.com/eventpoll/eventpoll/loadgen"
	"github.com/eventpoll/eventpoll/reactor"
)

// checkServeFlags refuses serve's flag values that cannot work, before
// anything is opened: zero or negative sizes and durations given
// explicitly (leaving a flag out picks its default), and networks the
// protocol cannot use.
func checkServeFlags(fs *flag.FlagSet, network, proto string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		switch f.Name {
		case "loops", "read-buffer":
			if v := f.Value.(flag.Getter).Get().(int); v <= 0 {
				err = fmt.Errorf("--%s %d: must be at least 1 (leave it out for the default)", f.Name, v)
			}
		case "idle-timeout", "shutdown-timeout":
			if v := f.Value.(flag.Getter).Get().(time.Duration); v <= 0 {
				err = fmt.Errorf("--%s %v: must be positive (leave it out for the default)", f.Name, v)
			}
		}
	})
	if err != nil {
		return err
	}
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
	case "udp", "udp4", "udp6":
		if proto != "echo" {
			return fmt.Errorf("--network %s serves only --proto echo (datagrams are sent back), not %s", network, proto)
		}
	default:
		return fmt.Errorf("unknown --network %q (want tcp, tcp4, tcp6, unix, udp, udp4 or udp6)", network)
	}
	return nil
}

// checkLoadFlags refuses load settings that would otherwise be changed
// silently.
func checkLoadFlags(cfg *loadgen.Config) error {
	switch {
	case cfg.Conns <= 0:
		return fmt.Errorf("--conns %d: must be at least 1", cfg.Conns)
	case cfg.Depth <= 0:
		return fmt.Errorf("--depth %d: must be at least 1", cfg.Depth)
	case cfg.Size <= 0:
		return fmt.Errorf("--size %d: must be at least 1", cfg.Size)
	}
	return nil
}

// checkBackends refuses backend names this build does not have.
func checkBackends(names []string) error {
	have := eventpoll.Backends()
	for _, b := range names {
		if !slices.Contains(have, b) {
			return fmt.Errorf("unknown backend %q (this build has %s)", b, strings.Join(have, ", "))
		}
	}
	return nil
}

// echoPacketHandler sends every datagram back to its sender.
type echoPacketHandler struct{}

func (echoPacketHandler) OnPacket(pc *reactor.PacketConn, p []byte, from net.Addr) {
	pc.WriteTo(p, from)
}
