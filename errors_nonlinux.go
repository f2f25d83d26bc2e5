//go:build !linux

package eventpoll

import (
	"errors"
	"fmt"
	"runtime"
)

// ErrHostUnsupported is returned by New where no backend runs on the host
// (everywhere but Linux, darwin, FreeBSD and DragonFly), and by every method
// of Host but NewPoller and Now where Host is a placeholder (everywhere but
// Linux, darwin and the BSDs). It names the platform and matches
// errors.ErrUnsupported. The sim package's Kernel runs everywhere.
var ErrHostUnsupported = fmt.Errorf("eventpoll: host kernel not supported on %s/%s: %w", runtime.GOOS, runtime.GOARCH, errors.ErrUnsupported)
