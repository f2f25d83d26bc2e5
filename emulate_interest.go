//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package eventpoll

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// This file holds the emulated backends' interest set operations: Add,
// Modify and Delete (the model is described in emulate.go).

// checkFD applies epoll's fd checks: EBADF for an fd that is not open, EPERM
// for a regular file or a directory (which poll and select would always
// report ready).
func checkFD(fd int) error {
	if fd < 0 {
		return syscall.EBADF
	}
	var st unix.Stat_t
	var err error
	for {
		err = unix.Fstat(fd, &st)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFDIR:
		return syscall.EPERM
	}
	return nil
}

// Add implements Poller.Add.
func (e *emu) Add(fd int, ev Events, data uint64) error {
	if err := CheckEvents(ev, data); err != nil {
		return e.opErr("add", fd, err)
	}
	if e.closedA.Load() {
		return e.opErr("add", fd, ErrClosed)
	}
	if ev&Exclusive != 0 {
		return e.opErr("add", fd, ErrUnsupported)
	}
	if err := checkFD(fd); err != nil {
		return e.opErr("add", fd, err)
	}
	if err := e.be.checkFD(fd); err != nil {
		return e.opErr("add", fd, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return e.opErr("add", fd, ErrClosed)
	}
	if e.lookup(fd) >= 0 {
		return e.opErr("add", fd, syscall.EEXIST)
	}
	if fd >= len(e.index) {
		n := 2 * len(e.index)
		if n < fd+1 {
			n = fd + 1
		}
		if n < 64 {
			n = 64
		}
		idx := make([]int32, n)
		copy(idx, e.index)
		e.index = idx
	}
	e.gen++
	e.items = append(e.items, emuItem{fd: fd, gen: e.gen, data: data, ev: ev})
	i := len(e.items) - 1
	e.index[fd] = int32(i + 1)
	e.be.slotAdded(e, i)
	e.interrupt()
	return nil
}

// Modify implements Poller.Modify.
func (e *emu) Modify(fd int, ev Events, data uint64) error {
	if err := CheckEvents(ev, data); err != nil {
		return e.opErr("modify", fd, err)
	}
	if e.closedA.Load() {
		return e.opErr("modify", fd, ErrClosed)
	}
	if ev&Exclusive != 0 {
		return e.opErr("modify", fd, ErrUnsupported)
	}
	if err := checkFD(fd); err != nil {
		return e.opErr("modify", fd, err)
	}
	if err := e.be.checkFD(fd); err != nil {
		return e.opErr("modify", fd, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return e.opErr("modify", fd, ErrClosed)
	}
	i := e.lookup(fd)
	if i < 0 {
		return e.opErr("modify", fd, syscall.ENOENT)
	}
	e.setInterest(i, ev, data)
	return nil
}

// setInterest is Modify of items[i] once checked (e.mu held): the new
// interest, every mask cleared, one-shot re-armed, blocked Waits interrupted.
func (e *emu) setInterest(i int, ev Events, data uint64) {
	it := &e.items[i]
	was, wasParked := it.flagged(), it.parked != 0
	it.ev, it.data = ev, data
	it.masked, it.parked, it.disabled = 0, 0, false
	e.account(was, wasParked, it)
	e.slotChanged(i)
	e.interrupt()
}

// Delete implements Poller.Delete. An fd closed while registered gives
// EBADF, as with epoll, and its registration is removed.
func (e *emu) Delete(fd int) error {
	if e.closedA.Load() {
		return e.opErr("delete", fd, ErrClosed)
	}
	ferr := checkFD(fd)
	if ferr != nil && ferr != syscall.EBADF {
		return e.opErr("delete", fd, ferr)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return e.opErr("delete", fd, ErrClosed)
	}
	i := e.lookup(fd)
	if i >= 0 {
		e.removeAt(i)
		e.interrupt()
	}
	if ferr != nil {
		return e.opErr("delete", fd, ferr)
	}
	if i < 0 {
		return e.opErr("delete", fd, syscall.ENOENT)
	}
	return nil
}

// removeAt deletes items[i] by moving the last item into its place (e.mu held).
func (e *emu) removeAt(i int) {
	last := len(e.items) - 1
	it := &e.items[i]
	if it.flagged() {
		e.nFlagged--
		emuFlagged.Add(-1)
	}
	if it.parked != 0 {
		e.nParked--
	}
	fd := it.fd
	e.be.slotRemoved(e, i, last)
	e.items[i] = e.items[last]
	e.index[e.items[i].fd] = int32(i + 1)
	e.index[fd] = 0
	e.items[last] = emuItem{}
	e.items = e.items[:last]
}
