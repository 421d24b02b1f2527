package api_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, all its threads
// together, so that a benchmark on a busy machine can report what an
// answer costs, not how long it waited for a core (the GC and every
// goroutine of the answer counted, the benchmark's own few too).
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
