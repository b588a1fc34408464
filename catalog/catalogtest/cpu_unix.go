//go:build unix

package catalogtest

import (
	"syscall"
	"time"
)

// ProcessCPU returns the user and system CPU time the process has used so
// far. Differences of it measure work independently of other processes
// competing for the cores, which wall-clock benchmark figures are not.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
