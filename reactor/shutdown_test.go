package reactor

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventpoll/eventpoll"
)

// readCounter is a Kernel that counts the bytes read from each descriptor.
type readCounter struct {
	eventpoll.Kernel
	mu sync.Mutex
	n  map[int]int
}

func (k *readCounter) Read(fd int, p []byte) (int, error) {
	n, err := k.Kernel.Read(fd, p)
	if n > 0 {
		k.mu.Lock()
		k.n[fd] += n
		k.mu.Unlock()
	}
	return n, err
}

func (k *readCounter) get(fd int) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n[fd]
}

// shutdownProbe is a Pipeline that notes, per client port, how many bytes
// the server had read when Shutdown ended the connection's input.
type shutdownProbe struct {
	Pipeline
	k        *readCounter
	mu       sync.Mutex
	received map[int]int // client port -> bytes read before the input ended
	port     map[*Conn]int
	closeErr []error
}

func (p *shutdownProbe) OnOpen(c *Conn) {
	p.k.mu.Lock()
	delete(p.k.n, c.Fd())
	p.k.mu.Unlock()
	p.mu.Lock()
	p.port[c] = c.RemoteAddr().(*net.TCPAddr).Port
	p.mu.Unlock()
	p.Pipeline.OnOpen(c)
}

func (p *shutdownProbe) OnReadHangup(c *Conn) {
	p.mu.Lock()
	p.received[p.port[c]] = p.k.get(c.Fd())
	p.mu.Unlock()
	p.Pipeline.OnReadHangup(c)
}

func (p *shutdownProbe) OnClose(c *Conn, err error) {
	p.mu.Lock()
	if err != nil {
		p.closeErr = append(p.closeErr, err)
	}
	p.mu.Unlock()
	p.Pipeline.OnClose(c, err)
}

// TestShutdownAnswersReceived: 200 clients send at depth 16 when Shutdown
// begins. Every request whose bytes the server had read when it ended the
// input gets its reply (no more, no fewer), then a FIN; Shutdown returns nil.
func TestShutdownAnswersReceived(t *testing.T) {
	const clients, depth, size = 200, 16, 64
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			k := &readCounter{Kernel: eventpoll.Host(), n: map[int]int{}}
			var ran atomic.Int64
			p := &shutdownProbe{k: k, received: map[int]int{}, port: map[*Conn]int{}}
			p.Pipeline = Pipeline{NewSession: func(c *Conn) PipelineSession {
				return &bigReplySession{size: size, ran: &ran}
			}}
			s := &Server{Handler: p, Loops: 2, Kernel: k, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")

			replies := make([]int, clients)
			ports := make([]int, clients)
			errs := make(chan error, clients)
			var wg sync.WaitGroup
			var started sync.WaitGroup
			started.Add(clients)
			for i := 0; i < clients; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					c, err := net.Dial("tcp", addr.String())
					if err != nil {
						started.Done()
						errs <- err
						return
					}
					defer c.Close()
					c.SetDeadline(time.Now().Add(30 * time.Second))
					ports[i] = c.LocalAddr().(*net.TCPAddr).Port
					line := []byte("g\n")
					for j := 0; j < depth; j++ {
						c.Write(line)
					}
					r := bufio.NewReader(c)
					buf := make([]byte, size)
					once := false
					for {
						if _, err := io.ReadFull(r, buf); err != nil {
							if err != io.EOF {
								errs <- err
							}
							break
						}
						if got, _ := strconv.Atoi(string(buf[:9])); got != replies[i] {
							errs <- errors.New("reply out of order")
							break
						}
						replies[i]++
						if replies[i] == 50 && !once {
							once = true
							started.Done()
						}
						c.Write(line) // writes after the server's FIN are discarded
					}
					if !once {
						started.Done()
					}
				}(i)
			}
			started.Wait() // every client is mid-way
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("client: %v", err)
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			if len(p.closeErr) > 0 {
				t.Fatalf("%d connections closed with errors, first %v", len(p.closeErr), p.closeErr[0])
			}
			for i := range clients {
				got, ok := p.received[ports[i]]
				if !ok {
					t.Fatalf("client %d: the server never ended its input", i)
				}
				if replies[i] != got/2 {
					t.Fatalf("client %d: %d replies; the server had received %d requests", i, replies[i], got/2)
				}
			}
		})
	}
}

// TestShutdownReadsArrived: requests that reached the server's sockets
// while its loop was busy are read and answered by Shutdown, not dropped
// with the connection (before, Shutdown sent the FIN without reading: every
// client lost its last requests).
func TestShutdownReadsArrived(t *testing.T) {
	const clients, depth, size = 200, 16, 64
	for _, m := range modes() {
		t.Run(m.String(), func(t *testing.T) {
			var ran, opened atomic.Int64
			p := &Pipeline{NewSession: func(c *Conn) PipelineSession {
				opened.Add(1)
				return &bigReplySession{size: size, ran: &ran}
			}}
			s := &Server{Handler: p, Loops: 1, Backend: m.backend, Trigger: m.trigger, Engine: m.engine}
			addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
			conns := make([]net.Conn, clients)
			for i := range conns {
				c, err := net.Dial("tcp", addr.String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				conns[i] = c
			}
			for deadline := time.Now().Add(10 * time.Second); opened.Load() < clients; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("connections not opened")
				}
			}
			// The loop runs Shutdown's task right after a busy task during
			// which the requests arrive, before it polls for them.
			releaseA, releaseB := make(chan struct{}), make(chan struct{})
			inB := make(chan struct{})
			s.loops[0].Submit(func() { <-releaseA })
			s.loops[0].Submit(func() { close(inB); <-releaseB })
			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				shut <- s.Shutdown(ctx)
			}()
			time.Sleep(50 * time.Millisecond) // Shutdown's task is queued behind B
			close(releaseA)
			<-inB
			for _, c := range conns {
				for j := 0; j < depth; j++ {
					c.Write([]byte("g\n"))
				}
			}
			time.Sleep(100 * time.Millisecond) // the requests reach the server's sockets
			close(releaseB)
			for i, c := range conns {
				c.SetDeadline(time.Now().Add(20 * time.Second))
				got, err := io.ReadAll(c)
				c.Close()
				if err != nil {
					t.Fatalf("client %d: %v", i, err)
				}
				if len(got) != depth*size {
					t.Fatalf("client %d: %d replies, want %d", i, len(got)/size, depth)
				}
			}
			if err := <-shut; err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
		})
	}
}
