package reactor

import (
	"bytes"
	"io"
	"net"
	"testing"
)

func TestEchoQuick(t *testing.T) {
	h := &echoHandler{}
	s := &Server{Handler: h, Loops: 2}
	addr, _ := serve(t, s, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("hello "), 100000)
	go c.Write(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("mismatch")
	}
}
