// Package sim is a simulated kernel: the kernel side of readiness
// notification, as the seed articles describe Linux's, built in user space
// behind the eventpoll.Kernel seam. The reactor, the protocol servers and the
// conformance suite run on it unchanged; it passes the conformance suite
// that Linux epoll passes (TestConformance/sim/<case>).
//
// # The kernel's structures and theirs here
//
//   - struct file (one open file description, shared by dup'd descriptors;
//     f_op; f_ep_links): file. The fd table hands out the lowest free number,
//     fails with EBADF and, at Config.MaxFDs, with EMFILE.
//   - f_op->poll and poll_wait: every file kind has a poll method that
//     returns its current mask and, given a poll table, hooks the caller into
//     its wait queues (pollable, pollWait).
//   - poll_table with ep_ptable_queue_proc: pollTable.
//   - wait_queue_head_t and wait_queue_entry_t: waitQueue and waitEntry.
//     Non-exclusive entries are all called; exclusive ones (EPOLLEXCLUSIVE)
//     until one wakes a waiter.
//   - struct eventpoll: eventpoll, with mtx (serializes epoll_ctl with the
//     transfer to the caller), lock (guards the lists; taken by callbacks),
//     rbr, rdllist, ovflist, wq (the Waits asleep on it) and poll_wait (those
//     who poll the eventpoll itself, for nesting).
//   - rbr, the red-black tree of epitems keyed by (file, fd): itemTree, a
//     balanced (AVL) tree; Add, Modify and Delete cost O(log n).
//   - rdllist and the transfer list (txlist): itemList, intrusive and
//     doubly linked, spliced in O(1).
//   - ovflist: the items whose callback fires while a transfer runs; they
//     go to the ready list when it ends, oldest first, so no event is lost
//     and an item appears once per result.
//   - struct epitem: epitem, with its interest and data, its ready-list
//     links and its hooks (pwqlist).
//   - struct eppoll_entry: pollEntry, one hook of an epitem in one wait
//     queue, whose function is ep_poll_callback (eventpoll.callback).
//   - ep_send_events: eventpoll.sendEvents. Readiness is re-checked at
//     harvest (mask = current state & interest); level-triggered items go
//     back to the tail of the ready list (round robin), edge-triggered ones
//     do not, one-shot ones are disabled until Modify re-arms them.
//   - ep_loop_check: adding an eventpoll to another fails with ELOOP on a
//     cycle or when a chain would hold more than 5 eventpolls
//     (EP_MAX_NESTS = 4 links).
//   - eventpoll_release_file: closing the last descriptor of a file removes
//     its items from every eventpoll; a dup'd descriptor keeps a stale item
//     firing with the old data, and Delete of the closed number gives EBADF.
//
// Files: pipes (bounded, PIPE_BUF atomic writes), stream sockets (socket
// pairs, TCP and unix over an in-memory network: Listen with a backlog and
// port 0, Connect that returns EINPROGRESS and completes through the
// backlog or fails with ECONNREFUSED via SocketError, Accept, Shutdown,
// Abort = reset, buffer sizes), UDP datagrams, eventfd counters, regular
// files (refused by epoll with EPERM) and a /dev/null placeholder
// (ReserveFD). Errors are syscall.Errno values, so errors.Is works as on
// Linux. Kernel.NewPoller("") (also "epoll", "sim") returns a *Poller whose
// Backend is "sim"; its FD can be added to another Poller.
//
// # Where it differs from Linux
//
// Differential tests apply one random sequence of operations (pipes, socket
// pairs, TCP over loopback; LT, ET, one-shot; dup, shutdown, close) to
// Linux epoll and to sim and require identical results, and compare nested
// eventpolls and loop checks with Linux's. What they cannot see, or what
// is simplified on purpose:
//
// Buffer sizes are taken as given (Linux doubles them) and a stream socket
// is writable while its direction has any room (no low-water mark). A
// connect to a listener whose backlog is full waits for room instead of
// retransmitting its SYN. Unix socket paths are names, not files: closing
// the listener frees the path. Connect on "udp" fails with EPROTOTYPE (no
// connected datagram sockets); a datagram to an unbound port is dropped.
// TCP_NODELAY is recorded only (nothing is delayed by Nagle), a FIN is
// acknowledged at once (Linux delays that ACK, and its arrival wakes the
// sender's pollers a second time), and SO_REUSEPORT groups take connections
// in turn rather than by hash.
//
// # Time and determinism
//
// With the zero Config the kernel runs on the real clock and goroutines run
// freely, as on Linux: that is how the conformance suite runs it.
//
// With Config.Deterministic the kernel runs on a virtual clock under a
// scheduler. Each Poller is a task: the goroutine that waits on it. Exactly
// one task runs at a time; a task gives up the CPU only in Wait (when
// nothing is ready, or at random with Config.Yield). When no task is
// running, the scheduler picks a runnable one with the seeded RNG; when
// none is runnable, it advances the virtual clock to the earliest Wait
// deadline, so timeouts cost no real time. Together with seeded short reads
// and writes (Config.ShortIO), a seeded delivery order (Config.Shuffle)
// and seeded network delays (Config.MaxDelay: TCP setup, data, FIN and
// reset arrive later on the virtual clock, in order per direction; the
// scheduler delivers them when no task can run, or when a task enters
// Wait), a seed fixes the whole run: Config.Trace records every operation, and two
// runs with one seed give the same trace. Calls from goroutines that own no
// Poller (a test starting or stopping a server) run outside the schedule;
// make them when the tasks are idle (Kernel.Idle) to keep runs
// reproducible. Every Poller created in this mode must be waited on or
// closed, or the others wait for it.
//
// Kernel.OpenFDs, Kernel.Watchers, Kernel.Idle, Kernel.Stalled and
// Kernel.Advance let tests check for leaks and drive the schedule.
// TestSeeds runs the reactor's echo server this way under 1000 seeds; a
// failing seed prints the command that replays it.
//
// # Faults
//
// Config.Faults injects, with seeded probabilities, the failures Linux can
// return at each call: EAGAIN on a ready descriptor, a connection reset
// mid-stream (ECONNRESET, EPIPE), ENOMEM and ENOBUFS, EMFILE and ENFILE on
// accept, EINTR from close, late and spurious wake-ups from Wait; with
// Config.ShortIO, short reads and writes. Each keeps the promises of the
// seam and of epoll (after EAGAIN or a short call, a new edge comes when
// the file is ready). TestFaultSeeds, TestFaultSeedsRESP and
// TestFaultSeedsHTTP run the echo, RESP and HTTP servers under them, 1000
// seeds each (10000 with EVENTPOLL_LONG=1), checking every reply byte, each
// connection's outcome against its OnClose error, buffer bounds, and that no
// descriptor, kernel timer or goroutine is left.
package sim
