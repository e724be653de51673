package main

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// The soft memory limit follows the container's: 90% of it, unless
// GOMEMLIMIT or AUTOMEMLIMIT says otherwise, and none without a limit.
func TestSetMemoryLimit(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	const gib = 1 << 30
	noCgroups := func() (uint64, error) { return 0, memlimit.ErrCgroupsNotSupported }
	for _, tc := range []struct {
		name     string
		env      map[string]string // "" unsets
		provider memlimit.Provider
		start    int64 // the limit before
		want     int64
	}{
		{"container limit", nil, memlimit.Limit(gib), math.MaxInt64, gib * 9 / 10},
		{"no limit", nil, func() (uint64, error) { return 0, memlimit.ErrNoLimit }, 123 << 20, math.MaxInt64},
		{"no cgroups (a laptop)", nil, noCgroups, 123 << 20, math.MaxInt64},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "500MiB"}, memlimit.Limit(gib), 500 << 20, 500 << 20},
		{"AUTOMEMLIMIT ratio", map[string]string{"AUTOMEMLIMIT": "0.5"}, memlimit.Limit(gib), math.MaxInt64, gib / 2},
		{"AUTOMEMLIMIT off", map[string]string{"AUTOMEMLIMIT": "off"}, memlimit.Limit(gib), 77 << 20, 77 << 20},
		{"provider failing", nil, func() (uint64, error) { return 0, errors.New("unreadable cgroup") }, 88 << 20, 88 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"GOMEMLIMIT", "AUTOMEMLIMIT"} {
				t.Setenv(k, "") // restored after the test
				if v, ok := tc.env[k]; ok {
					os.Setenv(k, v)
				} else {
					os.Unsetenv(k)
				}
			}
			debug.SetMemoryLimit(tc.start)
			setMemoryLimit(t.Context(), quiet, tc.provider)
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("memory limit %d, want %d", got, tc.want)
			}
		})
	}
}
