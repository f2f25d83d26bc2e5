package main

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/eventpoll/eventpoll"
	"golang.org/x/sys/unix"
)

// raiseNoFile lifts the soft RLIMIT_NOFILE to the hard limit.
func raiseNoFile() {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &rl)
	}
}

func openScaleFDs(idle, active int) (*scaleFDs, error) {
	s := &scaleFDs{}
	for range idle {
		fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("eventfd (after %d): %w", len(s.idle), err)
		}
		s.idle = append(s.idle, fd)
	}
	for range active {
		fd, err := unix.Eventfd(1, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("eventfd: %w", err)
		}
		s.active = append(s.active, fd)
	}
	return s, nil
}

func (s *scaleFDs) close() {
	for _, fd := range s.idle {
		unix.Close(fd)
	}
	for _, fd := range s.active {
		unix.Close(fd)
	}
}

func (s *scaleFDs) maxFD() int { return slices.Max(s.all()) }

func scaleRaw(backend string, fds *scaleFDs, cfg scaleConfig) (scaleRow, error) {
	row := scaleRow{Backend: backend, Path: "raw", Fds: len(fds.idle), Ready: len(fds.active)}
	all := fds.all()
	var wait func() (int, error)
	start := time.Now()
	switch backend {
	case "epoll":
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return row, err
		}
		defer unix.Close(epfd)
		for _, fd := range all {
			ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
			if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
				return row, err
			}
		}
		events := make([]unix.EpollEvent, len(fds.active)+16)
		wait = func() (int, error) { return unix.EpollWait(epfd, events, 0) }
	case "poll":
		pfds := make([]unix.PollFd, len(all))
		for i, fd := range all {
			pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
		}
		wait = func() (int, error) { return unix.Poll(pfds, 0) }
	case "select":
		maxfd := fds.maxFD()
		if maxfd >= eventpoll.FDSetSize {
			return row, fmt.Errorf("fd %d >= FD_SETSIZE %d", maxfd, eventpoll.FDSetSize)
		}
		var set, work unix.FdSet
		for _, fd := range all {
			set.Set(fd)
		}
		// select overwrites its sets, so every call starts from a copy of
		// the prebuilt one, as any select loop must.
		wait = func() (int, error) {
			work = set
			tv := unix.Timeval{}
			return unix.Select(maxfd+1, &work, nil, nil, &tv)
		}
	default:
		return row, errors.New("no raw path for this backend")
	}
	row.RegNs = time.Since(start).Nanoseconds()
	if n := len(all); n > 0 {
		row.RegNsPerFd = float64(row.RegNs) / float64(n)
	}
	var err error
	row.NsPerWait, row.NsMin, row.NsMax, row.Waits, err = timeWaits(cfg, wait, len(fds.active))
	return row, err
}
