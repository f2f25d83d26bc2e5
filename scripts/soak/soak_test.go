package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSoakSmoke runs scripts/soak.sh for 20 seconds (EVENTPOLL_LONG=1 only:
// it builds the command and runs three servers): it must pass, having
// sampled every server and checked its trend.
func TestSoakSmoke(t *testing.T) {
	if os.Getenv("EVENTPOLL_LONG") == "" {
		t.Skip("EVENTPOLL_LONG=1 runs the soak smoke test")
	}
	cmd := exec.Command("bash", "../soak.sh")
	cmd.Env = append(os.Environ(), "DURATION=20s", "INTERVAL=2s", "WORKERS=8", "RATE=100")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soak.sh: %v\n%s", err, out)
	}
	for _, want := range []string{"soak echo: PASS", "soak resp: PASS", "soak http: PASS", "trend fds", "soak: PASS"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("soak.sh output lacks %q:\n%s", want, out)
		}
	}
}
