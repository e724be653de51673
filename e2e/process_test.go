package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// syncBuffer collects a process's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// replica is a running `schedule-manager serve` process.
type replica struct {
	id     string
	base   string
	cmd    *exec.Cmd
	stderr *syncBuffer
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "schedule-manager")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/schedule-manager/schedule-manager/cmd/schedule-manager").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startReplica(t *testing.T, bin string, c *cluster, id, seedFile string) *replica {
	t.Helper()
	return runReplica(t, bin, id, "--nats-url", c.URLs(), "--store-replicas", "3", "--seed-config", seedFile)
}

// runReplica runs `schedule-manager serve` with args on a free loopback
// HTTP port as replica id, stops it (SIGTERM) at the end of the test, and
// returns once it is ready.
func runReplica(t *testing.T, bin, id string, args ...string) *replica {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r := &replica{id: id, base: "http://" + addr, stderr: &syncBuffer{}}
	r.cmd = exec.Command(bin, append([]string{"serve", "--http-addr", addr, "--replica-id", id}, args...)...)
	r.cmd.Env = append(os.Environ(), "SCHEDMGR_ADMIN_TOKEN="+adminToken, "SCHEDMGR_LOG_LEVEL=warn")
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = r.cmd.Process.Kill()
			<-done
		}
		if t.Failed() || os.Getenv("E2E_LOGS") != "" {
			t.Logf("replica %s stderr:\n%s", id, r.stderr)
		}
	})
	poll.Until(t, "replica "+id+" ready", func() bool {
		resp, err := http.Get(r.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return r
}

// transition performs one requested change, retrying failed calls (a
// retry after a write that did land answers changed=false) on the given
// replicas in turn.
func transition(t *testing.T, reps []*replica, name string, closed bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for i := 0; ; i++ {
		if _, ok := manual(reps[i%len(reps)].base, name, closed); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s closed=%v: no replica accepted it within 45s", name, closed)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Three serve processes on a three-node cluster: one transition is stored
// once; a burst of 50 transitions during which one replica is SIGKILLed
// and the NATS node leading the event stream is stopped loses none and
// duplicates none.
func TestServeProcessesExactlyOnceThroughFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	start := time.Now()
	bin := buildBinary(t)
	t.Logf("binary built in %s", time.Since(start))
	c := startCluster(t, 3)
	seed := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(seed, []byte(seedConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	var reps []*replica
	for i := 1; i <= 3; i++ {
		reps = append(reps, startReplica(t, bin, c, fmt.Sprintf("p%d", i), seed))
	}
	t.Logf("cluster and replicas ready after %s", time.Since(start))
	_, js := natstest.Connect(t, c.URLs(), natstest.Reconnect)
	want := map[string]int{}
	request := func(on []*replica, name string) {
		transition(t, on, name, want[name]%2 == 0)
		want[name]++
	}
	settled := func(on []*replica, total int) {
		t.Helper()
		for _, r := range on {
			poll.Until(t, "replica "+r.id+" to publish every transition", func() bool {
				m, ok := publishMetrics(r.base)
				return ok && m["stored"]+m["duplicate"] >= float64(total) && m["queued"] == 0
			})
		}
		poll.Until(t, fmt.Sprintf("%d events in the stream", total), func() bool { return streamCount(js) >= total })
	}

	// One transition, three publishers, one stored event.
	request(reps, scheduleNames[0])
	settled(reps, 1)
	if r := streamReplicas(t, js); r != 3 {
		t.Errorf("event stream has %d replicas, want 3 (--store-replicas)", r)
	}
	if n := streamCount(js); n != 1 {
		t.Fatalf("one transition stored %d times", n)
	}

	// The burst, on the first two replicas; the third is killed.
	const burst = 50
	live := reps[:2]
	t0 := time.Now()
	for i := 0; i < burst; i++ {
		switch i {
		case 15:
			if err := reps[2].cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		case 30:
			// Stop the event stream's leader: publishes must ride out
			// the election.
			leader := streamLeader(t, js)
			for _, srv := range c.servers {
				if srv.Name() == leader {
					srv.Shutdown()
					t.Logf("stopped NATS node %s, the event stream leader", leader)
				}
			}
		}
		request(live, scheduleNames[i%2])
	}
	t.Logf("%d transitions requested in %s", burst, time.Since(t0))
	total := 1 + burst
	for _, r := range live {
		poll.Until(t, "replica "+r.id+" to drain", func() bool {
			m, ok := publishMetrics(r.base)
			return ok && m["queued"] == 0 && m["stored"]+m["duplicate"] >= float64(total)
		})
		t.Logf("replica %s drained after %s", r.id, time.Since(start))
	}
	poll.Until(t, "the stream to hold every transition", func() bool { return streamCount(js) >= total })
	t.Logf("settled after %s", time.Since(start))
	checkSequence(t, storedEvents(t, js), want)
	for _, r := range live {
		m, _ := publishMetrics(r.base)
		t.Logf("replica %s: stored %v duplicate %v failed attempts %v dropped %v", r.id, m["stored"], m["duplicate"], m["error"], m["dropped"])
		if m["dropped"] != 0 {
			t.Errorf("replica %s dropped %v events", r.id, m["dropped"])
		}
	}
}
