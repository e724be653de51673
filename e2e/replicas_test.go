package e2e

import (
	"fmt"
	"testing"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/internal/apptest"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// startApp starts an in-process replica on the cluster.
func startApp(t *testing.T, c *cluster, id string) *app.App {
	t.Helper()
	return apptest.Start(t, func(o *app.Options) {
		o.NATSURL = c.URLs() // the embedded server's DataDir and NATSListen go unused
		o.StoreReplicas = 3
		o.ReplicaID = id
		o.SeedConfig = []byte(seedConfig)
		o.AdminToken = adminToken
		o.Tokens = nil
		o.ReconcileSpec = "@every 1s"
	})
}

// Three replicas on a three-node cluster announce every transition; the
// stream (3 replicas) stores each once.
func TestInProcessReplicasStoreEachTransitionOnce(t *testing.T) {
	c := startCluster(t, 3)
	var apps []*app.App
	for i := 1; i <= 3; i++ {
		apps = append(apps, startApp(t, c, fmt.Sprintf("r%d", i)))
	}
	_, js := natstest.Connect(t, c.URLs(), natstest.Reconnect)
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
		poll.Until(t, "replica "+base+" to publish every transition", func() bool {
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
