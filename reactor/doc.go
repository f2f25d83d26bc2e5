// Package reactor runs non-blocking servers and clients on eventpoll
// Pollers: what the seeds' closing edge-triggered server does by hand
// (non-blocking sockets, accept and read until EAGAIN, writes buffered until
// the socket is writable), done once for programs that hold many
// connections.
//
// # Loops and ownership
//
// A Server runs Loops event loops (default GOMAXPROCS). Each loop is one
// goroutine that owns a Poller, the connections registered in it, one shared
// read buffer (ReadBufferSize), a timer heap (Loop.AfterFunc, idle timeouts,
// deadlines, linger) and a task queue. A connection belongs to one loop for
// its whole life; its Handler callbacks run on that loop, one at a time, and
// the Conn methods that touch its buffers must be called there. Other
// goroutines use Conn.AsyncWrite, Conn.AsyncClose and Loop.Submit, which
// queue a task and wake the loop through Poller.Wake (many wakes before the
// loop runs cost one system call).
//
// Every system call goes through the server's eventpoll.Kernel (default
// eventpoll.Host()), so the same loops can run on a simulated kernel.
//
// # Accepting
//
// Listening sockets are level-triggered; a loop accepts until EAGAIN (at
// most 256 per wake-up). With AcceptBalance (the default) each new
// connection goes to the loop with the fewest connections; with
// AcceptReusePort every loop has its own SO_REUSEPORT socket and keeps what
// it accepts. When accept fails with EMFILE or ENFILE the loop closes its
// reserve descriptor, accepts one pending connection and closes it (so its
// client is told at once), reopens the reserve, and stops watching the
// listener for a backoff of 5 ms doubling to 1 s: the listener never spins
// and the server keeps running.
//
// # Buffers
//
// Reads go into the loop's shared buffer and OnData sees them in place
// (Conn.Peek, Next, Discard): nothing is copied for a handler that consumes
// what it is given. Only bytes a handler leaves unconsumed are copied into
// a buffer borrowed from a size-class pool, kept until consumed, then given
// back. A Write of 4 KiB or more on a connection with nothing queued goes
// to the socket at once, and only what the socket does not take is copied;
// other writes copy into borrowed output buffers, and queued output is sent
// with one writev when the callback returns (or when the socket becomes
// writable), the buffers given back as they drain. An idle
// connection therefore holds no buffer, only its Conn (a few hundred bytes)
// and its poller registration. In steady state an echoed message allocates
// nothing.
//
// # Limits and backpressure
//
// A connection whose queued output passes WriteHighWater stops being read
// until the output drains to WriteLowWater; then reading resumes and a
// WritableHandler's OnWritable is called. More than MaxInbound unconsumed
// inbound bytes close the connection with ErrInboundLimit; a Write beyond
// MaxOutbound fails with ErrOutboundLimit. Each wake-up reads at most
// ReadBudget bytes from one connection, so a flooding peer cannot starve
// the others. Errors such as EPIPE and ECONNRESET close one connection
// (OnClose gets the error) and never the process: writes use MSG_NOSIGNAL.
//
// # Edge and level triggering
//
// Under Edge (the default) a connection is registered once for reading,
// writing and read-hangup, edge-triggered, and never modified. The loop
// reads until EAGAIN, or until a short read on epoll (the kernel queues a
// new edge for any later arrival); a connection stopped by the read budget
// is queued and read again after the other ready connections. On backends
// that emulate edge triggering (poll, select) the loop always reads until
// EAGAIN. Under Level, writable interest is added only while output waits
// for the socket, and readable interest is removed while a connection is
// paused, so no registration reports readiness nobody acts on.
//
// # The completion engine
//
// Server.Engine = EngineCompletion drives the loops with io_uring requests
// instead of readiness events (engine_uring_linux.go): each loop owns a
// ring (SINGLE_ISSUER|DEFER_TASKRUN where the kernel has them; the loop
// goroutine is locked to its thread), a provided-buffer ring of 256
// buffers of ReadBufferSize/4 (4 to 64 KiB) shared by its connections, and
// an eventfd for wake-ups. Listeners have a multishot accept, connections
// a multishot receive that takes a buffer from the shared ring per
// completion; OnData sees the bytes in that buffer, which returns to the
// ring when OnData does. Output is queued as above (a Write is never sent
// directly) and sent with one send or sendmsg request in flight per
// connection. Each iteration makes one io_uring_enter that submits what
// the previous one queued and collects completions without waiting (a raw
// system call, so the Go scheduler does not hand the loop's P off); only
// when nothing completed does a second one wait for a completion or the
// next timer. Closing a descriptor submits the queue first (it may hold
// requests that name it), and a full submission queue is submitted early.
//
// The rules above hold with these differences: backpressure cancels the
// receive (bytes that arrived before the cancellation are kept, not
// delivered, until reading resumes); the read budget is per connection and
// loop iteration (what a connection receives beyond it is delivered at the
// next iteration, after the other connections' completions); while a
// connection does not receive (paused, or after the peer's FIN) a
// multishot poll watches for a reset. Dial completes with a poll request;
// datagram sockets are read with recvfrom after a one-shot poll request.
// TLS (TLSConfig, TLSClientConfig), a Kernel other than eventpoll.Host,
// and a system without a usable io_uring (probed once per process:
// io_uring_setup, IORING_REGISTER_PROBE for every operation used, a
// provided-buffer ring, and a multishot receive on a socket pair) make the
// server run the readiness engine instead, with one log line saying why.
//
// # TLS
//
// With Server.TLSConfig set, accepted connections speak TLS through the
// standard library's crypto/tls (no fork); with Server.TLSClientConfig,
// dialed ones do. Handlers see plaintext through the same Conn API, so one
// handler serves with and without TLS. A transport sits between the socket
// and the Conn's buffers: plain connections pass bytes through, TLS ones
// (tls.go) run the handshake on a goroutine over an in-memory net.Conn that
// the loop feeds (bounded by TLSHandshakeConcurrency while computing, and
// by TLSHandshakeTimeout, default 10 s), then decrypt on the loop one
// complete record at a time, so a loop never blocks. OnOpen follows the
// handshake (a connection whose handshake fails gets only OnClose, with the
// error); Conn.TLSConnectionState reports ALPN, SNI, resumption and peer
// certificates, which all come from the tls.Config. Close sends
// close_notify; a bad record or an alert closes that connection only, with
// the error in OnClose. A partial record waits in a pooled buffer, so an
// idle TLS connection holds no reactor buffer (crypto/tls keeps its own
// per-connection record buffers, sized by the largest record seen).
//
// # Panics
//
// A panic in a callback (a Handler method, OnWritable, OnReadHangup, a
// Loop.Submit function, a Loop.AfterFunc timer, OnPacket, work run by
// Conn.Go) is recovered by a deferred recover around that one call: the
// connection is aborted, OnClose gets a *PanicError carrying the value and
// the stack, the panic is logged (or given to Server.PanicHandler) and the
// loop goes on. Server.CrashOnPanic turns this off.
//
// # Closing
//
// The peer's FIN (read hangup) delivers the remaining bytes; the handler
// may still write, and the connection closes once its output is sent
// (a ReadHangupHandler keeps it open instead). Conn.Close is graceful:
// queued output is sent, then a FIN, then the descriptor is closed when the
// peer's FIN arrives, all bounded by LingerTimeout. Conn.Abort resets the
// connection. Each event carries a generation number next to the fd, so an
// event harvested for a closed descriptor never reaches the connection that
// reuses its number. Server.Shutdown stops accepting, closes every
// connection gracefully and waits; Server.Close closes everything at once.
package reactor
