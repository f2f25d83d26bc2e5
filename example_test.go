package eventpoll_test

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/eventpoll/eventpoll"
)

// The seeds' comparison of level- and edge-triggered delivery on a pipe:
// 2 KB written, one Wait, 1 KB read, a second Wait.
func Example_levelVersusEdge() {
	k := eventpoll.Host()
	for _, mode := range []eventpoll.Events{0, eventpoll.EdgeTriggered} {
		r, w, _ := k.Pipe()
		p, _ := eventpoll.New("epoll")
		p.Add(r, eventpoll.Readable|mode, uint64(r))
		k.Write(w, make([]byte, 2048))

		events := make([]eventpoll.Event, 8)
		n1, _ := p.Wait(events, 100*time.Millisecond)
		k.Read(r, make([]byte, 1024))
		n2, _ := p.Wait(events, 100*time.Millisecond)
		name := "level"
		if mode != 0 {
			name = "edge"
		}
		fmt.Printf("%s: first wait %d event, second wait %d\n", name, n1, n2)
		p.Close()
		k.Close(r)
		k.Close(w)
	}
	// Output:
	// level: first wait 1 event, second wait 1
	// edge: first wait 1 event, second wait 0
}

// Registering an fd twice is an error that wraps the errno C would see.
func ExamplePoller_Add() {
	k := eventpoll.Host()
	r, w, _ := k.Pipe()
	defer k.Close(r)
	defer k.Close(w)
	p, _ := eventpoll.New("")
	defer p.Close()

	fmt.Println(p.Add(r, eventpoll.Readable, 7))
	err := p.Add(r, eventpoll.Readable, 7)
	fmt.Println(errors.Is(err, syscall.EEXIST))
	// Output:
	// <nil>
	// true
}

// Wake interrupts a Wait blocked in another goroutine.
func ExamplePoller_Wake() {
	p, _ := eventpoll.New("")
	defer p.Close()
	go func() {
		time.Sleep(10 * time.Millisecond)
		p.Wake()
	}()
	n, err := p.Wait(make([]eventpoll.Event, 1), -1)
	fmt.Println(n, err)
	// Output: 0 <nil>
}
