package reactor

type taskKind uint8

const (
	taskFunc     taskKind = iota // run fn
	taskWrite                    // queue buf[:n] on c
	taskClose                    // close c gracefully
	taskConn                     // register an accepted fd
	taskDial                     // register a connecting fd (c prepared)
	taskCancel                   // abort c if it is still connecting
	taskListen                   // register a listening socket
	taskUnlisten                 // close a listening socket
	taskShutdown                 // Server.Shutdown
	taskStop                     // Server.Close
)

// task is one entry of a loop's queue. Tasks are values in a slice that is
// swapped with a spare one at each drain, so queueing allocates nothing in
// steady state.
type task struct {
	kind taskKind
	fd   int
	n    int
	fn   func()
	c    *Conn
	buf  *[]byte
	ln   *listenFD
	tcp  bool
}

// push queues t and wakes the loop. It fails with ErrServerClosed once the
// loop has exited.
func (l *Loop) push(t task) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrServerClosed
	}
	l.tasks = append(l.tasks, t)
	l.mu.Unlock()
	// Wake fails only when the poller is closed, and the loop closes it
	// after running every task queued before it stopped accepting them:
	// this one has been (or is being) handled either way.
	l.wake()
	return nil
}

// Submit runs fn on the loop's goroutine at its next iteration. Safe from
// any goroutine. It fails with ErrServerClosed once the loop has exited.
func (l *Loop) Submit(fn func()) error {
	return l.push(task{kind: taskFunc, fn: fn})
}

func (l *Loop) runTasks() {
	l.mu.Lock()
	if len(l.tasks) == 0 {
		l.mu.Unlock()
		return
	}
	tasks := l.tasks
	l.tasks = l.spare[:0]
	l.mu.Unlock()
	for i := range tasks {
		l.runTask(&tasks[i])
		tasks[i] = task{}
	}
	l.spare = tasks[:0]
}

func (l *Loop) runTask(t *task) {
	switch t.kind {
	case taskFunc:
		l.callFunc(t.fn)
	case taskWrite:
		c := t.c
		if c.state == stateClosed || c.state >= stateClosing {
			putBuf(t.buf)
			return
		}
		if c.tls != nil {
			c.Write((*t.buf)[:t.n]) // encrypted
			putBuf(t.buf)
			return
		}
		if c.out.n+t.n > l.cfg.maxOut {
			putBuf(t.buf)
			c.fail(ErrOutboundLimit)
			return
		}
		c.out.appendOwned(t.buf, t.n)
		c.markDirty()
	case taskClose:
		if t.c.state != stateClosed {
			t.c.Close()
		}
	case taskConn:
		l.openAccepted(t.fd, t.tcp)
	case taskDial:
		l.startDial(t.c)
	case taskCancel:
		if t.c.state == stateConnecting {
			l.closeConn(t.c, errDialCanceled, true)
		}
	case taskListen:
		l.openListener(t.ln)
	case taskUnlisten:
		l.closeListener(t.ln)
	case taskShutdown:
		l.shutdown()
	case taskStop:
		l.stopping = true
	}
}

// shutdown closes the loop's listeners and ends the input of every
// connection (endInput), which then closes gracefully; the loop exits when
// none is left.
func (l *Loop) shutdown() {
	l.draining = true
	for len(l.lns) > 0 {
		l.closeListener(l.lns[0])
	}
	for fd := range l.fds {
		switch c := l.fds[fd].c; {
		case c == nil:
		case c.state == stateOpen:
			l.endInput(c)
		case c.state < stateClosing:
			c.Close()
		}
	}
}
