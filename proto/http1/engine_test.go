package http1_test

import (
	"testing"

	"github.com/eventpoll/eventpoll/internal/enginetest"
)

// completionTests are the tests with real clients and the backpressure
// tests that TestRealClientsOnCompletionEngine runs again on the
// completion engine.
const completionTests = "^(TestNetHTTPClient|TestNetHTTPHandlerAdapter|TestPipelinedOverTCP|TestCurl|TestWrk|TestResponseAmplification|TestReadTimeout.*)$"

// TestRealClientsOnCompletionEngine runs completionTests in a child
// process whose servers use reactor.EngineCompletion (skipped where the
// completion engine cannot run: a server asking for it falls back).
func TestRealClientsOnCompletionEngine(t *testing.T) {
	enginetest.RunOnCompletion(t, completionTests)
}
