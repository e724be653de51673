package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/examples"
	"github.com/schedule-manager/schedule-manager/internal/apptest"
)

// startService starts the real service in-process, seeded with
// examples/default.json, and returns its base URL.
func startService(t *testing.T) string {
	t.Helper()
	return "http://" + apptest.Start(t).HTTPAddr()
}

// check --server gives the same answers, in the same words, as check
// --config on the file the service was seeded with.
func TestCheckServer(t *testing.T) {
	base := startService(t)

	same := []struct {
		name string
		args []string // after "check"
	}{
		{"holiday, then closed, then open", []string{"Support", "--at", "2027-11-25T10:00"}},
		{"observed holiday, holiday, closed, open", []string{"Support", "--at", "2026-07-03T10:00"}},
		{"next year", []string{"Support", "--at", "2027-12-31T10:00"}},
		{"closed, no rule", []string{"Support", "--at", "2026-07-07T20:00"}},
		{"lunch", []string{"London Sales", "--at", "2026-03-02T12:30"}},
		{"open, closes for lunch", []string{"London Sales", "--at", "2026-03-02T11:00"}},
		{"absolute instant", []string{"Night Desk", "--at", "2026-03-03T04:00:00Z"}},
		{"maintenance", []string{"Ops 24x7", "--at", "2026-03-01T03:00"}},
		{"local midnight", []string{"Ops 24x7", "--at", "2026-03-01"}},
	}
	for _, tt := range same {
		t.Run(tt.name, func(t *testing.T) {
			file := runCLI(t, "", append([]string{"check", "-c", defaultConfig}, tt.args...)...)
			srv := runCLI(t, "", append([]string{"check", "--server", base}, tt.args...)...)
			if file.code != 0 || srv.code != 0 || srv.stdout != file.stdout || srv.stderr != "" {
				t.Errorf("--server: exit %d\n%s%s\n--config: exit %d\n%s%s", srv.code, srv.stdout, srv.stderr, file.code, file.stdout, file.stderr)
			}
			// --json: the same object, plus the service's config version.
			file = runCLI(t, "", append([]string{"check", "-c", defaultConfig, "--json"}, tt.args...)...)
			srv = runCLI(t, "", append([]string{"check", "--server", base, "--json"}, tt.args...)...)
			var fromFile, fromServer map[string]any
			if err := json.Unmarshal([]byte(file.stdout), &fromFile); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(srv.stdout), &fromServer); err != nil {
				t.Fatalf("--server --json: %v\n%s%s", err, srv.stdout, srv.stderr)
			}
			fromFile["configVersion"] = float64(1)
			if !reflect.DeepEqual(fromServer, fromFile) {
				t.Errorf("--server --json\n%s\n--config --json\n%s", srv.stdout, file.stdout)
			}
		})
	}

	errorCases := []struct {
		name   string
		args   []string
		code   int
		stderr string
		errHas []string
	}{
		{name: "unknown schedule", args: []string{"check", "--server", base, "Suport"}, code: 1,
			stderr: `Error: schedule "Suport" not found at ` + base + "\n"},
		{name: "bad --at", args: []string{"check", "--server", base, "Support", "--at", "tomorrow"}, code: 1,
			errHas: []string{`Error: --at: "tomorrow" is not a date-time`}},
		{name: "--at out of the service's range", args: []string{"check", "--server", base, "Support", "--at", "0500-01-01T00:00"}, code: 1,
			errHas: []string{"Error: --at: ", "out of range"}},
		{name: "not a URL", args: []string{"check", "--server", "localhost:8080", "Support"}, code: 1,
			errHas: []string{"Error: --server: ", "scheme must be http or https"}},
		{name: "nobody listening", args: []string{"check", "--server", "http://127.0.0.1:1", "Support"}, code: 1,
			errHas: []string{"Error: http://127.0.0.1:1: ", "connection refused"}},
		{name: "no name", args: []string{"check", "--server", base}, code: 2,
			errHas: []string{"check takes one schedule NAME (got 0 arguments)"}},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != tt.code || r.stdout != "" || tt.stderr != "" && r.stderr != tt.stderr {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr %q does not contain %q", r.stderr, s)
				}
			}
		})
	}

	t.Run("now, with the live state", func(t *testing.T) {
		r := runCLI(t, "", "check", "--server", base, "Support")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Support: ") || !strings.Contains(r.stdout, " at ") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		// A manual close is part of the live state, which the file does not
		// have.
		cl, _ := client.New(base, client.WithToken(apptest.AdminToken))
		if _, err := cl.CloseSchedule(context.Background(), "Ops 24x7", "test"); err != nil {
			t.Fatal(err)
		}
		want := "closed (manual) at "
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(r.stdout, want) && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond) // the service applies the write asynchronously
			r = runCLI(t, "", "check", "--server", base, "Ops 24x7")
		}
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Ops 24x7: "+want) || !strings.HasSuffix(r.stdout, "; stays closed until the manual close is lifted\n") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// check --server makes one call: the answer's nextOpening says when a
// closed schedule opens, past changes of closed reason.
func TestCheckServerOneCall(t *testing.T) {
	const holiday = `{"isOpen":false,"closedReason":"holiday","schedule":"S","timeZone":"America/Chicago",` +
		`"at":"2027-11-25T10:00:00-06:00","holiday":"Thanksgiving Day",` +
		`"nextTransition":{"at":"2027-11-26T00:00:00-06:00","isOpen":false,"closedReason":"closed"}`
	tests := []struct {
		name   string
		answer string
		want   string
	}{
		{"nextOpening past a change of closed reason", holiday + `,"nextOpening":"2027-11-26T08:00:00-06:00"}`,
			"S: closed (holiday: Thanksgiving Day) at 2027-11-25 10:00 CST; opens Fri 26 Nov 08:00 CST\n"},
		{"no nextOpening: does not open", holiday + `}`,
			"S: closed (holiday: Thanksgiving Day) at 2027-11-25 10:00 CST; does not open within 366 days\n"},
		{"a service without nextOpening, next change opens", `{"isOpen":false,"closedReason":"closed","schedule":"S",` +
			`"timeZone":"America/Chicago","at":"2027-11-26T07:00:00-06:00",` +
			`"nextTransition":{"at":"2027-11-26T08:00:00-06:00","isOpen":true,"closedReason":""}}`,
			"S: closed (closed) at 2027-11-26 07:00 CST; opens Fri 26 Nov 08:00 CST\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				calls++
				mu.Unlock()
				_, _ = w.Write([]byte(tt.answer))
			}))
			defer srv.Close()
			r := runCLI(t, "", "check", "--server", srv.URL, "S", "--at", "2027-11-25T10:00")
			if r.code != 0 || r.stdout != tt.want {
				t.Errorf("exit %d\n got %q\nwant %q\n%s", r.code, r.stdout, tt.want, r.stderr)
			}
			mu.Lock()
			defer mu.Unlock()
			if calls != 1 {
				t.Errorf("%d calls to the service, want 1", calls)
			}
		})
	}
}

// The token is optional; --token wins over $SCHEDMGR_TOKEN; a 401 says a
// token is needed.
func TestCheckServerToken(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"missing or invalid bearer token"}`))
			return
		}
		_, _ = w.Write([]byte(`{"isOpen":true,"closedReason":"","schedule":"S","timeZone":"UTC","at":"2026-07-02T10:00:00Z","nextTransition":null,"configVersion":3}`))
	}))
	defer srv.Close()

	r := runCLI(t, "", "check", "--server", srv.URL, "S")
	if r.code != 1 || !strings.Contains(r.stderr, "missing or invalid bearer token (the service requires a token: --token or $SCHEDMGR_TOKEN)") {
		t.Errorf("without a token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Setenv("SCHEDMGR_TOKEN", "from-env")
	if r = runCLI(t, "", "check", "--server", srv.URL, "S"); r.code != 0 || r.stdout != "S: open at 2026-07-02 10:00 UTC; no change within 366 days\n" {
		t.Errorf("token from the environment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = runCLI(t, "", "check", "--server", srv.URL, "--token", "from-flag", "S", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"configVersion": 3`) {
		t.Errorf("token from the flag: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"", "Bearer from-env", "Bearer from-flag"}; !reflect.DeepEqual(auth, want) {
		t.Errorf("Authorization headers %q, want %q", auth, want)
	}
}

// export and import --server go through the client.
func TestTransferServer(t *testing.T) {
	base := startService(t)
	dir := t.TempDir()
	exported := filepath.Join(dir, "config.json")

	r := runCLI(t, "", "export", "--server", base, "--token", apptest.ViewerToken, "-o", exported)
	if r.code != 0 || r.stderr != "exported version 1 to "+exported+"\n" {
		t.Fatalf("export: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	data, _ := os.ReadFile(exported)
	var got, seed bytes.Buffer
	if json.Compact(&got, data) != nil || json.Compact(&seed, examples.Default()) != nil || got.String() != seed.String() {
		t.Errorf("exported\n%s\nwant the seed", data)
	}

	changed := strings.Replace(string(data), `"name": "Support",
      "manualClose": false`, `"name": "Support",
      "manualClose": true`, 1)
	if changed == string(data) {
		t.Fatal("the seed has changed: no manualClose to flip")
	}
	_ = os.WriteFile(exported, []byte(changed), 0o644)
	t.Setenv("SCHEDMGR_TOKEN", apptest.AdminToken)
	if r = runCLI(t, "", "import", exported, "--server", base, "-m", "close Support"); r.code != 0 || r.stdout != "imported "+exported+" as version 2 (was 1)\n" {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = runCLI(t, "", "export", "--server", base); r.code != 0 || r.stdout != changed {
		t.Errorf("export after import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cl, _ := client.New(base, client.WithToken(apptest.ViewerToken))
	if h, err := cl.History(context.Background(), 1); err != nil || h[0].Message != "close Support" || h[0].Author != "admin" {
		t.Errorf("history %+v, %v", h, err)
	}

	if r = runCLI(t, "", "import", exported, "--server", base, "--token", apptest.ViewerToken); r.code != 1 || !strings.Contains(r.stderr, "403 Forbidden") {
		t.Errorf("import as viewer: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Setenv("SCHEDMGR_TOKEN", "")
	if r = runCLI(t, "", "export", "--server", base); r.code != 2 || !strings.Contains(r.stderr, "--server needs --token or $SCHEDMGR_TOKEN") {
		t.Errorf("export without a token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = runCLI(t, "", "export", "--server", base, "--token", "wrong-token-0123456789"); r.code != 1 || !strings.Contains(r.stderr, "401 Unauthorized") {
		t.Errorf("export with a wrong token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
