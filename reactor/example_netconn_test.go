package reactor_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/eventpoll/eventpoll/reactor"
)

// Existing net/http code served by the loops: ListenNet returns a
// net.Listener whose connections are read and written by the reactor.
func ExampleServer_ListenNet() {
	s := &reactor.Server{Loops: 1}
	defer s.Close()
	ln, err := s.ListenNet("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "served by a reactor loop")
	}))
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	// Output: served by a reactor loop
}
