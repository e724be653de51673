package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

const adminToken = "e2e-admin-token-0123456789"

// seedConfig has two always-open schedules with awkward names, so that
// only manual closes change their state whatever the wall clock says.
const seedConfig = `{
 "rules": [{"id": "all", "name": "All day", "isOpen": true, "dateRRule": "FREQ=DAILY"}],
 "schedules": [
  {"name": "Alpha desk.1", "timeZone": "Europe/London", "rules": ["all"]},
  {"name": "Béta *", "timeZone": "America/Chicago", "rules": ["all"]}
 ]
}`

var scheduleNames = []string{"Alpha desk.1", "Béta *"}

// cluster is a NATS cluster of in-process servers on loopback.
type cluster struct {
	servers []*server.Server
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startCluster starts n clustered nats-servers with JetStream, each with
// its own store, routes to all, and waits for a JetStream meta leader.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	ports := make([]int, n)
	var routes []*url.URL
	for i := range ports {
		ports[i] = freePort(t)
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", ports[i])})
	}
	c := &cluster{}
	for i := range n {
		c.servers = append(c.servers, natstest.Server(t, func(o *server.Options) {
			o.ServerName = fmt.Sprintf("n%d", i+1)
			o.Cluster = server.ClusterOpts{Name: "schedmgr-e2e", Host: "127.0.0.1", Port: ports[i]}
			o.Routes = routes
		}))
	}
	_, js := natstest.Connect(t, c.URLs(), natstest.Reconnect)
	poll.Until(t, "a JetStream meta leader", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})
	return c
}

// URLs is the comma-separated client URLs of all nodes.
func (c *cluster) URLs() string {
	var u []string
	for _, s := range c.servers {
		u = append(u, s.ClientURL())
	}
	return strings.Join(u, ",")
}

// storedEvents reads every event in the stream, in stream order.
func storedEvents(t *testing.T, js jetstream.JetStream) []event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, event.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	if info.State.Msgs == 0 {
		return nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for uint64(len(out)) < info.State.Msgs {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			var ev event.Event
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				t.Fatal(err)
			}
			out = append(out, ev)
			n++
		}
		if n == 0 {
			t.Fatalf("read %d of %d events: %v", len(out), info.State.Msgs, batch.Error())
		}
	}
	return out
}

// streamCount is the number of messages in the event stream (-1 on error).
func streamCount(js jetstream.JetStream) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, event.StreamName)
	if err != nil {
		return -1
	}
	info, err := st.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

// streamReplicas is the replica count of the event stream.
func streamReplicas(t *testing.T, js jetstream.JetStream) int {
	t.Helper()
	return streamInfo(t, js).Config.Replicas
}

// streamLeader is the server name of the event stream's leader.
func streamLeader(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	info := streamInfo(t, js)
	if info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatal("event stream has no leader")
	}
	return info.Cluster.Leader
}

func streamInfo(t *testing.T, js jetstream.JetStream) *jetstream.StreamInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, event.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// manual closes (closed) or reopens a schedule through base's admin API.
// It returns false on a failed call (which may or may not have written).
func manual(base, name string, closed bool) (changed bool, ok bool) {
	verb := "open"
	if closed {
		verb = "close"
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/schedules/"+url.PathEscape(name)+"/"+verb, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return false, false
	}
	defer resp.Body.Close()
	var out struct {
		Changed bool `json:"changed"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		return false, false
	}
	return out.Changed, true
}

var metricLine = regexp.MustCompile(`(?m)^schedmgr_(events_published_total\{outcome="(\w+)"\}|events_queued) (\S+)$`)

// publishMetrics returns a replica's event outcomes and queue length.
func publishMetrics(base string) (map[string]float64, bool) {
	client := http.Client{Timeout: 2 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken) // /metrics needs a token
	resp, err := client.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, false
	}
	body, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for _, m := range metricLine.FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.ParseFloat(m[3], 64)
		key := m[2]
		if key == "" {
			key = "queued"
		}
		out[key] = v
	}
	return out, true
}

// checkSequence asserts that the stored events are exactly the expected
// transitions: per schedule, want[name] events alternating closed (manual)
// and open, starting from open, with distinct ids and growing versions.
func checkSequence(t *testing.T, evs []event.Event, want map[string]int) {
	t.Helper()
	per := map[string][]event.Event{}
	ids := map[string]bool{}
	for _, ev := range evs {
		if ids[ev.ID] {
			t.Errorf("event %s stored twice", ev.ID)
		}
		ids[ev.ID] = true
		per[ev.Data.Schedule] = append(per[ev.Data.Schedule], ev)
	}
	for name, n := range want {
		got := per[name]
		if len(got) != n {
			t.Errorf("%s: %d events stored, want %d", name, len(got), n)
		}
		var lastVersion uint64
		for i, ev := range got {
			wantOpen := i%2 == 1
			if ev.Data.IsOpen != wantOpen || (!wantOpen && ev.Data.ClosedReason != "manual") || ev.Data.Previous.IsOpen == wantOpen {
				t.Errorf("%s event %d: open=%v reason %q previous %+v, want open=%v", name, i, ev.Data.IsOpen,
					ev.Data.ClosedReason, ev.Data.Previous, wantOpen)
			}
			if ev.Data.ConfigVersion <= lastVersion || ev.Data.Cause != "config" {
				t.Errorf("%s event %d: version %d after %d, cause %s", name, i, ev.Data.ConfigVersion, lastVersion, ev.Data.Cause)
			}
			lastVersion = ev.Data.ConfigVersion
		}
	}
	for name := range per {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected events for %q", name)
		}
	}
}
