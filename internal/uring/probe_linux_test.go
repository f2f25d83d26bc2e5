package uring

import "testing"

func TestProbe(t *testing.T) {
	r := newRing(t, 4, Options{})
	p, err := r.Probe()
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	for _, op := range []uint8{OpNop, OpPollAdd, OpPollRemove} {
		if !p.Supported(op) {
			t.Errorf("opcode %d reported unsupported (last op %d)", op, p.LastOp)
		}
	}
	if p.LastOp < OpPollRemove {
		t.Errorf("LastOp = %d, want >= %d", p.LastOp, OpPollRemove)
	}
	if p.Supported(255) {
		t.Errorf("opcode 255 reported supported")
	}
	t.Logf("last opcode %d", p.LastOp)
}
