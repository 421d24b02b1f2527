package checks

import (
	"runtime"
	"syscall"
	"time"
)

// threadCPU returns the CPU time of the calling thread; lockThread keeps
// the goroutine on its thread meanwhile, so that a benchmark on a busy
// machine can report what a check costs, not how long it waited.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // RUSAGE_THREAD
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
