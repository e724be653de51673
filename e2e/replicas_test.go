package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/app"
)

// startApp starts an in-process replica on the cluster.
func startApp(t *testing.T, c *cluster, id string) *app.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Options{
		HTTPAddr: "127.0.0.1:0", NATSURL: c.URLs(), StoreReplicas: 3, ReplicaID: id,
		SeedConfig: []byte(seedConfig), AdminToken: adminToken, ReconcileSpec: "@every 1s",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("start replica %s: %v", id, err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	return a
}

// Three replicas on a three-node cluster announce every transition; the
// stream (3 replicas) stores each once.
func TestInProcessReplicasStoreEachTransitionOnce(t *testing.T) {
	c := startCluster(t, 3)
	var apps []*app.App
	for i := 1; i <= 3; i++ {
		apps = append(apps, startApp(t, c, fmt.Sprintf("r%d", i)))
	}
	_, js := connect(t, c.URLs())
	const transitions = 10
	want := map[string]int{}
	for i := 0; i < transitions; i++ {
		name := scheduleNames[i%2]
		closed := want[name]%2 == 0
		base := "http://" + apps[i%3].HTTPAddr()
		if changed, ok := manual(base, name, closed); !ok || !changed {
			t.Fatalf("transition %d (%s closed=%v): ok=%v changed=%v", i, name, closed, ok, changed)
		}
		want[name]++
	}
	// Every replica handles every transition: stored by one, a duplicate
	// (or found in the stream) for the others.
	for _, a := range apps {
		base := "http://" + a.HTTPAddr()
		waitFor(t, 30*time.Second, "replica "+base+" to publish every transition", func() bool {
			m, ok := publishMetrics(base)
			return ok && m["stored"]+m["duplicate"] == transitions && m["queued"] == 0
		})
	}
	var stored float64
	for _, a := range apps {
		m, _ := publishMetrics("http://" + a.HTTPAddr())
		stored += m["stored"]
		if m["dropped"] != 0 {
			t.Errorf("replica dropped %v events", m["dropped"])
		}
	}
	if stored != transitions {
		t.Errorf("replicas stored %v events between them, want %d", stored, transitions)
	}
	checkSequence(t, storedEvents(t, js), want)
}
