//go:build !unix

package catalogtest

import "time"

// ProcessCPU returns the CPU time the process has used so far; it is always
// zero on this platform.
func ProcessCPU() time.Duration { return 0 }
