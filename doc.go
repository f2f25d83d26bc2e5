// Package eventpoll is readiness notification for Go programs that watch
// many file descriptors: Linux epoll's model, with poll and select behind
// the same API.
//
// Backends by platform: epoll (default), poll and select on Linux; kqueue
// (default), poll and select on darwin and the BSDs (on NetBSD and OpenBSD
// kqueue wakes through a pipe: x/sys/unix has no EVFILT_USER there); none
// on Windows and other
// systems, where New fails with an error matching errors.ErrUnsupported and
// everything above the Poller runs on the sim package's Kernel (README:
// Platforms). What differs between backends is in Capabilities: for example
// poll and select on darwin and most BSDs do not report ReadHangup for a
// peer's write shutdown (Capabilities.ReadHangup), so a program that must
// see it there asks for Readable and takes a read that returns 0 as the
// peer's FIN.
//
// # The model
//
// select and poll take the whole interest list on every call: the kernel
// copies it in, calls each file's poll method, hooks the caller onto every
// file's wait queue, sleeps, and scans the whole list again when woken. A
// call costs O(watched), however few descriptors are ready.
//
// epoll splits that work. The interest list is registered once (Add, Modify,
// Delete; epoll_ctl in the kernel, where each registration is an epitem in a
// red-black tree). Registering hooks a callback into the file's wait queue;
// when the file becomes ready the callback puts the item on a ready list.
// Wait (epoll_wait) only drains the ready list, so it costs O(ready). Events
// that arrive while the list is being copied out are kept on an overflow list
// and delivered later; none are lost.
//
// A Poller here is that object. Add registers an fd with the conditions to
// watch (Readable, Writable, Priority, ReadHangup; Error and Hangup are
// always reported) and 64 bits of caller data that Wait returns unchanged.
//
// # Triggering
//
// Level-triggered (the default): after delivery the item goes back on the
// ready list, so Wait reports the fd for as long as it stays ready. Write
// 2 KB into a pipe, Wait, read 1 KB, Wait again: reported again.
//
// EdgeTriggered: the item is not re-queued; the fd is reported again only
// when new readiness arrives (new data, a new connection). In the same
// example the second Wait times out. The discipline that goes with it: use
// non-blocking fds and read (or accept, or write) until the call fails with
// EAGAIN, as the seeds' edge-triggered server does.
//
// OneShot: one event, then the registration is disabled (it stays in the
// interest list) until Modify re-arms it. Modify re-checks readiness at once.
//
// # Backends
//
// New("epoll") uses the kernel's epoll; New("poll") and New("select") keep
// the interest list in user space, update it incrementally, and emulate
// edge-triggered and one-shot delivery, so that a program that follows the
// edge-triggered discipline behaves the same on all three. select refuses
// fds >= FDSetSize (1024; 256 on NetBSD) with ErrFDTooLarge; Exclusive
// exists on epoll only.
//
// New("io_uring") (Linux 5.11 and later) watches fds with IORING_OP_POLL_ADD
// requests on a ring: level-triggered and one-shot registrations are
// single-shot polls renewed after each delivery, edge-triggered ones are
// multishot polls that post a completion per wake-up, and registration
// changes are submitted with the next Wait. Registrations are keyed by fd
// number, as on poll and select. Where the system forbids io_uring (seccomp,
// kernel.io_uring_disabled) New fails with an error wrapping ErrUnavailable
// and the errno.
//
// # The seam
//
// Kernel is the one interface through which the layers above (package
// reactor, the protocol servers, package eventpolltest) reach the operating
// system. Host returns the real one; package sim implements the same
// interface in memory, so the same code runs on a simulated kernel.
//
// Errors wrap syscall.Errno values, so errors.Is(err, unix.EEXIST) and the
// like work, and carry the operation and fd in an *OpError.
package eventpoll
