package uring

import (
	"errors"

	"golang.org/x/sys/unix"
)

// NewTaskrun creates a ring as New does, asking for the cheapest way the
// running kernel has to run completion work: SetupSingleIssuer |
// SetupDeferTaskrun (6.1+: the work runs only when the one submitting
// thread enters the kernel to wait, in batches), else SetupSingleIssuer
// (6.0), else SetupCoopTaskrun (5.19), else none. Each step down follows an
// EINVAL, the kernel's answer to a flag it does not know. The flags in
// opt.Flags are always asked for; SetupFlags tells what was granted.
//
// A single-issuer ring accepts submissions from one thread only: the one
// that created it, or, with SetupRDisabled in opt.Flags, the one that
// calls Enable. A Go program locks that goroutine to its thread
// (runtime.LockOSThread) first.
func NewTaskrun(entries uint32, opt Options) (*Ring, error) {
	tries := []uint32{
		SetupSingleIssuer | SetupDeferTaskrun,
		SetupSingleIssuer,
		SetupCoopTaskrun,
		0,
	}
	base := opt.Flags
	var err error
	for _, f := range tries {
		opt.Flags = base | f
		var r *Ring
		r, err = New(entries, opt)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, unix.EINVAL) {
			return nil, err
		}
	}
	return nil, err
}

// Enable starts a ring created with SetupRDisabled
// (IORING_REGISTER_ENABLE_RINGS). On a single-issuer ring the calling
// thread becomes the one allowed to submit.
func (r *Ring) Enable() error {
	return r.register(registerEnableRings, "REGISTER_ENABLE_RINGS", nil, 0)
}
