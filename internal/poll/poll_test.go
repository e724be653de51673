package poll

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fakeTB records Fatalf and ends the goroutine as testing.T does.
type fakeTB struct {
	testing.TB
	fatal string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestUntil(t *testing.T) {
	tests := []struct {
		name      string
		trueAfter int // calls of cond before it holds; -1: never
		explain   func() string
		fatalHas  string
	}{
		{name: "holds at once", trueAfter: 0},
		{name: "holds after a few polls", trueAfter: 5},
		{name: "never holds", trueAfter: -1, fatalHas: "waiting for the thing"},
		{name: "never holds, explained", trueAfter: -1, explain: func() string { return "replica b serves 2" },
			fatalHas: "waiting for the thing:\nreplica b serves 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			cond := func() bool {
				calls++
				return tt.trueAfter >= 0 && calls > tt.trueAfter
			}
			f := &fakeTB{}
			done := make(chan struct{})
			go func() {
				defer close(done)
				until(f, 100*time.Millisecond, "the thing", cond, tt.explain)
			}()
			<-done
			if tt.fatalHas == "" {
				if f.fatal != "" {
					t.Errorf("failed: %s", f.fatal)
				}
				if calls != tt.trueAfter+1 {
					t.Errorf("cond called %d times, want %d", calls, tt.trueAfter+1)
				}
				return
			}
			if !strings.Contains(f.fatal, tt.fatalHas) {
				t.Errorf("Fatalf %q, want it to contain %q", f.fatal, tt.fatalHas)
			}
			if calls < 2 {
				t.Errorf("cond called %d times before giving up", calls)
			}
		})
	}
}

func TestTimeoutIsGenerous(t *testing.T) {
	if Timeout < 30*time.Second {
		t.Errorf("Timeout %s: a loaded CI machine would fail tests", Timeout)
	}
}
