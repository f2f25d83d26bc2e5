package http1_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/eventpoll/eventpoll/proto/http1"
	"github.com/eventpoll/eventpoll/reactor"
)

// An ordinary net/http handler on the reactor, off the loop: the handler
// may block (here it sleeps) without stalling the loop's other
// connections, and Flush, Hijack, request contexts and timeouts work as
// under net/http.Server.
func ExampleFromHTTPHandler() {
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(20 * time.Millisecond): // a database call, say
		case <-r.Context().Done(): // the client went away
			return
		}
		io.WriteString(w, "done")
	})
	sh := http1.FromHTTPHandler(mux)
	sh.ReadHeaderTimeout = 5 * time.Second

	s := &reactor.Server{Handler: sh, Loops: 1}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go s.ServeListener(context.Background(), ln)
	defer s.Close()
	defer sh.Shutdown(context.Background())

	resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(b))
	// Output: 200 done
}

// A handler that never blocks can run on the loop, inside the HTTP/1.1
// engine, with InLoop.
func ExampleStdHandler_inLoop() {
	sh := http1.FromHTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "fast")
	}))
	sh.InLoop = true
	s := &reactor.Server{Handler: sh, Loops: 1}
	ln, err := s.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go s.ServeListener(context.Background(), ln)
	defer s.Close()

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(b))
	// Output: 200 fast
}
