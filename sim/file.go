package sim

import (
	"sync"

	ep "github.com/eventpoll/eventpoll"
)

// file is the kernel's struct file: one open file description, shared by
// every descriptor that Dup made from the first. Its operations (f_op) are
// the fileOps of the object behind it; epLinks is f_ep_links, the epitems
// that watch it, so that closing its last descriptor removes them.
type file struct {
	k    *Kernel
	id   uint64 // orders files in an eventpoll's interest tree
	refs int    // descriptors and in-flight calls; guarded by k.mu
	ops  fileOps

	epMu    sync.Mutex
	epLinks map[*epitem]struct{}
}

// fileOps is what every kind of file implements: release runs when the
// last reference goes.
type fileOps interface {
	release()
}

// pollable is f_op->poll: report the current mask and, given a poll table
// with a queue procedure, hook the caller into the file's wait queues.
// Files without it (regular files) are refused by epoll with EPERM.
type pollable interface {
	poll(pt *pollTable) ep.Events
}

// reader and writer are f_op->read and f_op->write_iter.
type reader interface {
	read(p []byte) (int, error)
}

type writer interface {
	writev(bufs [][]byte) (int, error)
}

// linkItem and unlinkItem maintain f_ep_links.
func (f *file) linkItem(epi *epitem) {
	f.epMu.Lock()
	if f.epLinks == nil {
		f.epLinks = make(map[*epitem]struct{})
	}
	f.epLinks[epi] = struct{}{}
	f.epMu.Unlock()
}

func (f *file) unlinkItem(epi *epitem) {
	f.epMu.Lock()
	delete(f.epLinks, epi)
	f.epMu.Unlock()
}

// items returns a snapshot of f_ep_links.
func (f *file) items() []*epitem {
	f.epMu.Lock()
	defer f.epMu.Unlock()
	out := make([]*epitem, 0, len(f.epLinks))
	for epi := range f.epLinks {
		out = append(out, epi)
	}
	return out
}

// release is __fput: eventpoll_release first (every epitem watching the
// file goes), then the file's own release.
func (f *file) release() {
	if len(f.items()) > 0 {
		f.k.epmu.Lock()
		for _, epi := range f.items() {
			epi.ep.removeItem(epi)
		}
		f.k.epmu.Unlock()
	}
	f.ops.release()
}
