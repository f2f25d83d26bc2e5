// Package uring is a small io_uring binding on golang.org/x/sys/unix: it
// sets up a ring (io_uring_setup(2)), maps its submission queue, completion
// queue and entry array, hands out submission entries, submits and waits
// (io_uring_enter(2)) and asks the kernel which operations it supports
// (io_uring_register(2) with IORING_REGISTER_PROBE).
//
// The kernel and the program share the rings: the program writes entries
// and then publishes the submission queue tail; the kernel publishes the
// completion queue tail and the program publishes the head after reading.
// Those head and tail words are read and written with sync/atomic, which
// orders the accesses around them as the kernel's acquire/release pairs need.
//
// A Ring is not safe for concurrent use, except Enter: the caller serializes
// NextSQE, Flush and Peek (the eventpoll io_uring backend holds a mutex),
// while any number of goroutines may block in Enter at once.
//
// The package exists on every platform so that it always compiles; outside
// Linux it holds only the entry layouts and constants.
package uring
