// Package enginetest lets a protocol package's tests run again on the
// reactor's completion engine: TestOnCompletion starts the test binary as a
// child process with the tests named by a pattern, and Engine, read by every
// test server, gives that child's servers reactor.EngineCompletion.
package enginetest

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/eventpoll/eventpoll/reactor"
)

// Env names the reactor engine the test servers run on in the child process.
const Env = "EVENTPOLL_TEST_ENGINE"

// Engine is the engine given to every test server: the readiness engine,
// or the completion engine in the child process of RunOnCompletion.
func Engine() reactor.Engine {
	if os.Getenv(Env) == "completion" {
		return reactor.EngineCompletion
	}
	return reactor.EngineReadiness
}

// Check fails the test when s does not run the engine the test asked for
// (it fell back).
func Check(t *testing.T, s *reactor.Server) {
	t.Helper()
	if l := s.Loop(); l == nil || l.Engine() != Engine() {
		t.Fatalf("server runs the %v engine, want %v", l.Engine(), Engine())
	}
}

// RunOnCompletion runs the tests matching pattern in a child process whose
// servers use reactor.EngineCompletion, and fails t if any of them fails. It
// skips where the completion engine cannot run (a server asking for it
// falls back) and inside the child itself.
func RunOnCompletion(t *testing.T, pattern string) {
	t.Helper()
	if os.Getenv(Env) != "" {
		t.Skip("in the child")
	}
	s := &reactor.Server{Engine: reactor.EngineCompletion, Loops: 1}
	if l := s.Loop(); l == nil || l.Engine() != reactor.EngineCompletion {
		s.Close()
		t.Skip("the completion engine is unavailable here")
	}
	s.Close()
	cmd := exec.Command(os.Args[0], "-test.run="+pattern, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), Env+"=completion")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("on the completion engine: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "    --- ") {
			t.Log(strings.TrimSpace(line))
		}
	}
}
