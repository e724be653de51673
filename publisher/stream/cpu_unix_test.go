//go:build unix

package stream_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) of this process so far, the
// in-process nats-server included: on a shared machine it is steadier
// than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
