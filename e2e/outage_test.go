package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/internal/apptest"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// call makes one HTTP request with the admin token and returns the status
// and the body.
func call(t testing.TB, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// configHead is the part of GET /api/v1/config these tests read.
type configHead struct {
	Version           uint64 `json:"version"`
	VersionIsDeployed bool   `json:"versionIsDeployed"`
	Replicas          []struct {
		ID string `json:"id"`
	} `json:"replicas"`
}

func getConfig(t testing.TB, base string) (configHead, bool) {
	code, body := call(t, http.MethodGet, base+"/api/v1/config", "")
	var h configHead
	if code != http.StatusOK || json.Unmarshal([]byte(body), &h) != nil {
		return h, false
	}
	return h, true
}

// A write made while NATS is down fails at once, says nothing was written,
// and never takes effect after NATS comes back. The replica stays ready and
// answers check-schedule from its cache; presence comes back with NATS.
func TestWriteDuringNATSOutage(t *testing.T) {
	dir, port := t.TempDir(), freePort(t)
	sameServer := func(o *server.Options) { o.Port, o.StoreDir = port, dir }
	srv := natstest.Server(t, sameServer)
	a := apptest.Start(t, func(o *app.Options) {
		o.NATSURL = srv.ClientURL()
		o.SeedConfig = []byte(seedConfig)
		o.AdminToken = adminToken
		o.ReplicaID = "only"
	})
	base := "http://" + a.HTTPAddr()
	before, ok := getConfig(t, base)
	if !ok {
		t.Fatal("no config")
	}

	srv.Shutdown()
	srv.WaitForShutdown()
	poll.Until(t, "/healthz to report the lost connection", func() bool {
		_, body := call(t, http.MethodGet, base+"/healthz", "")
		return strings.Contains(body, `"degraded"`)
	})
	if code, body := call(t, http.MethodGet, base+"/readyz", ""); code != http.StatusOK {
		t.Errorf("readyz while NATS is down: %d %s (the cache still answers)", code, body)
	}
	if code, body := call(t, http.MethodGet, base+"/check-schedule?name=Alpha%20desk.1", ""); code != http.StatusOK || !strings.Contains(body, `"isOpen":true`) {
		t.Errorf("check-schedule while NATS is down: %d %s", code, body)
	}
	empty := fmt.Sprintf(`{"version": %d, "data": {"rules": [], "schedules": []}}`, before.Version)
	start := time.Now()
	code, body := call(t, http.MethodPut, base+"/api/v1/config", empty)
	t.Logf("PUT while NATS is down answered %d in %s: %s", code, time.Since(start).Round(time.Millisecond), body)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "nothing was written") {
		t.Errorf("PUT while NATS is down: %d %s; want 503 saying nothing was written", code, body)
	}
	if code, body := call(t, http.MethodPost, base+"/api/v1/schedules/Alpha%20desk.1/close", ""); code != http.StatusServiceUnavailable {
		t.Errorf("manual close while NATS is down: %d %s; want 503", code, body)
	}

	natstest.Server(t, sameServer) // NATS comes back, with its data
	poll.Until(t, "/healthz to be ok again", func() bool {
		_, body := call(t, http.MethodGet, base+"/healthz", "")
		return strings.Contains(body, `"ok"`)
	})
	// The replicas bucket lived in memory and is gone: it must come back,
	// and the version be reported deployed again.
	var after configHead
	poll.Until(t, "presence to come back", func() bool {
		h, ok := getConfig(t, base)
		after = h
		return ok && h.VersionIsDeployed && len(h.Replicas) == 1
	})
	if after.Version != before.Version {
		t.Fatalf("version %d after the outage, want %d: a refused write took effect", after.Version, before.Version)
	}
	if code, body := call(t, http.MethodGet, base+"/check-schedule?name=Alpha%20desk.1", ""); code != http.StatusOK {
		t.Errorf("check-schedule after the outage: %d %s", code, body)
	}
}

// A version written through one replica is served by the other after the
// NATS node that replica was connected to is killed.
func TestConfigReachesReplicaThroughNodeKill(t *testing.T) {
	c := startCluster(t, 3)
	// r1 prefers n1, r2 prefers n2 (the client tries URLs in order).
	urls := strings.Split(c.URLs(), ",")
	start := func(id string, first int) *app.App {
		return apptest.Start(t, func(o *app.Options) {
			o.NATSURL = strings.Join(append([]string{urls[first]}, append(urls[:first:first], urls[first+1:]...)...), ",")
			o.StoreReplicas = 3
			o.ReplicaID = id
			o.SeedConfig = []byte(seedConfig)
			o.AdminToken = adminToken
		})
	}
	r1, r2 := start("r1", 0), start("r2", 1)
	b1, b2 := "http://"+r1.HTTPAddr(), "http://"+r2.HTTPAddr()
	h, _ := getConfig(t, b1)
	c.servers[1].Shutdown() // r2's node
	changed := strings.Replace(seedConfig, `"Béta *"`, `"Béta * 2"`, 1)
	// While NATS elects new stream leaders the store may not answer within
	// the API's 5 s (a 503 that says the write may or may not have been
	// applied): the admin tries again, and a 409 then means the earlier
	// attempt was applied.
	put := fmt.Sprintf(`{"version": %d, "data": %s}`, h.Version, changed)
	unsure := false
	poll.Until(t, "the PUT to be applied", func() bool {
		code, body := call(t, http.MethodPut, b1+"/api/v1/config", put)
		switch {
		case code == http.StatusOK, code == http.StatusConflict && unsure:
			return true
		case code == http.StatusServiceUnavailable:
			unsure = true
			t.Logf("PUT: %d %s; trying again", code, body)
			return false
		}
		t.Fatalf("PUT: %d %s", code, body)
		return false
	})
	acked := time.Now()
	poll.UntilExplained(t, "r2 to serve the version written through r1", func() bool {
		code, _ := call(t, http.MethodGet, b2+"/check-schedule?name=B%C3%A9ta%20*%202", "")
		return code == http.StatusOK
	}, func() string {
		// What each replica serves, and what it says of NATS.
		var state []string
		for _, b := range []string{b1, b2} {
			_, ready := call(t, http.MethodGet, b+"/readyz", "")
			_, health := call(t, http.MethodGet, b+"/healthz", "")
			state = append(state, fmt.Sprintf("%s: readyz %s healthz %s", b, ready, health))
		}
		return strings.Join(state, "\n")
	})
	t.Logf("acknowledged on r1 → served by r2 after its node was killed: %s", time.Since(acked).Round(time.Millisecond))
}
