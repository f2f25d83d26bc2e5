//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// resolve turns a network and address into a socket family, type and
// address. Host names are resolved with the standard resolver; listen
// addresses with an empty host bind every interface.
func resolve(network, address string, listen bool) (family, sotype int, sa unix.Sockaddr, err error) {
	switch network {
	case "unix":
		return unix.AF_UNIX, unix.SOCK_STREAM, &unix.SockaddrUnix{Name: address}, nil
	case "tcp", "tcp4", "tcp6":
		sotype = unix.SOCK_STREAM
	case "udp", "udp4", "udp6":
		sotype = unix.SOCK_DGRAM
	default:
		return 0, 0, nil, fmt.Errorf("eventpoll: unsupported network %q: %w", network, unix.EAFNOSUPPORT)
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("eventpoll: bad address %q: %w", address, unix.EINVAL)
	}
	port, err := net.LookupPort(strings.TrimRight(network, "46"), portStr)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("eventpoll: bad port in %q: %w", address, unix.EINVAL)
	}
	var ip netip.Addr
	switch {
	case host == "" && listen:
		if network == "tcp4" || network == "udp4" {
			ip = netip.IPv4Unspecified()
		} else {
			ip = netip.IPv6Unspecified()
		}
	case host == "":
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	default:
		ip, err = netip.ParseAddr(host)
		if err != nil {
			ips, lerr := net.DefaultResolver.LookupNetIP(context.Background(), ipNetwork(network), host)
			if lerr != nil || len(ips) == 0 {
				return 0, 0, nil, fmt.Errorf("eventpoll: cannot resolve %q: %w", host, unix.EADDRNOTAVAIL)
			}
			ip = ips[0]
		}
	}
	ip = ip.Unmap()
	if ip.Is4() && !strings.HasSuffix(network, "6") {
		return unix.AF_INET, sotype, &unix.SockaddrInet4{Port: port, Addr: ip.As4()}, nil
	}
	if strings.HasSuffix(network, "4") {
		return 0, 0, nil, fmt.Errorf("eventpoll: %s is not an IPv4 address: %w", ip, unix.EAFNOSUPPORT)
	}
	return unix.AF_INET6, sotype, &unix.SockaddrInet6{Port: port, Addr: ip.As16(), ZoneId: zoneID(ip.Zone())}, nil
}

func ipNetwork(network string) string {
	switch {
	case strings.HasSuffix(network, "4"):
		return "ip4"
	case strings.HasSuffix(network, "6"):
		return "ip6"
	}
	return "ip"
}

func zoneID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// sockaddrToAddr converts a socket address to the net.Addr type of the
// socket's type (TCP, UDP or Unix).
func sockaddrToAddr(fd int, sa unix.Sockaddr) net.Addr {
	sotype, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	var ip netip.Addr
	var port int
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip, port = netip.AddrFrom4(a.Addr), a.Port
	case *unix.SockaddrInet6:
		ip, port = netip.AddrFrom16(a.Addr), a.Port
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	default:
		return nil
	}
	ap := netip.AddrPortFrom(ip, uint16(port))
	if sotype == unix.SOCK_DGRAM {
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

// addrToSockaddr converts a UDP, TCP or Unix address to a socket address.
func addrToSockaddr(addr net.Addr) (unix.Sockaddr, error) {
	var ap netip.AddrPort
	switch a := addr.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UnixAddr:
		return &unix.SockaddrUnix{Name: a.Name}, nil
	default:
		return nil, fmt.Errorf("eventpoll: unsupported address %T: %w", addr, unix.EAFNOSUPPORT)
	}
	ip := ap.Addr().Unmap()
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ip.As4()}, nil
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ip.As16()}, nil
}
