package resp_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/eventpoll/eventpoll/reactor"
)

// engineEnv names the reactor engine the servers of these tests run on in
// the child process of TestRealClientsOnCompletionEngine.
const engineEnv = "EVENTPOLL_TEST_ENGINE"

// testEngine is the engine given to every test server: the readiness
// engine, or the completion engine in that child.
func testEngine() reactor.Engine {
	if os.Getenv(engineEnv) == "completion" {
		return reactor.EngineCompletion
	}
	return reactor.EngineReadiness
}

// checkEngine fails the test when the server does not run the engine the
// test asked for (it fell back).
func checkEngine(t *testing.T, s *reactor.Server) {
	t.Helper()
	if l := s.Loop(); l == nil || l.Engine() != testEngine() {
		t.Fatalf("server runs the %v engine, want %v", l.Engine(), testEngine())
	}
}

// completionTests are the tests with real clients and the backpressure
// tests that TestRealClientsOnCompletionEngine runs again on the
// completion engine.
const completionTests = "^(TestGoRedis|TestLimitsOverTCP|TestRedisCLI|TestRedisBenchmark|TestSplitWritesOverTCP|TestReactorInboundLimit|TestReplyAmplification)$"

// TestRealClientsOnCompletionEngine runs completionTests in a child
// process whose servers use reactor.EngineCompletion (skipped where the
// completion engine cannot run: a server asking for it falls back).
func TestRealClientsOnCompletionEngine(t *testing.T) {
	if os.Getenv(engineEnv) != "" {
		t.Skip("in the child")
	}
	s := &reactor.Server{Engine: reactor.EngineCompletion, Loops: 1}
	if l := s.Loop(); l == nil || l.Engine() != reactor.EngineCompletion {
		s.Close()
		t.Skip("the completion engine is unavailable here")
	}
	s.Close()
	cmd := exec.Command(os.Args[0], "-test.run="+completionTests, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), engineEnv+"=completion")
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
