package reactor_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/eventpoll/eventpoll/reactor"
)

// lookup answers each line after a blocking call (a database, a remote
// service), run off the loop by Conn.Go: the loop keeps serving other
// connections meanwhile, and the answers come back in request order.
type lookup struct{}

func (lookup) OnOpen(c *reactor.Conn)           {}
func (lookup) OnClose(c *reactor.Conn, _ error) {}
func (lookup) OnData(c *reactor.Conn) {
	for {
		i := bytes.IndexByte(c.Peek(0), '\n')
		if i < 0 {
			return
		}
		key := string(c.Next(i + 1)[:i]) // copy: the bytes are reused after OnData
		c.Go(func(ctx context.Context) func() {
			select { // the blocking call; ctx ends when the client goes away
			case <-time.After(10 * time.Millisecond):
			case <-ctx.Done():
				return nil
			}
			v := strings.ToUpper(key)
			return func() { c.Write([]byte(v + "\n")) } // back on the loop
		})
	}
}

// Blocking work off the loop with Conn.Go.
func ExampleConn_Go() {
	s := &reactor.Server{Handler: lookup{}, Loops: 1, Workers: 8}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go s.ServeListener(context.Background(), ln)
	defer s.Close()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.Write([]byte("a\nb\nc\n"))
	r := bufio.NewReader(c)
	for range 3 {
		line, _ := r.ReadString('\n')
		fmt.Print(line)
	}
	// Output:
	// A
	// B
	// C
}
