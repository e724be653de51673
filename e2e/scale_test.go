//go:build scale

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/internal/poll"
	"github.com/schedule-manager/schedule-manager/internal/scalegen"
)

// 100,000 schedules on one `serve` process (issue 13's smoke run; the
// figures are bench/scale's, see BENCHMARKS.md): a seed of 100,000
// schedules with UUID rule ids starts and serves each of them; the paged
// listing counts them all; an edited whole document is published and
// served; a document one schedule over the limit is refused with 413
// naming the setting, and the served config stays as it was.
//
// It takes about 35 s under the race detector, so it is built only with
// the scale tag, and .ci/run runs it without -race:
//
//	go test -tags scale -run TestHundredThousandSchedules ./e2e
func TestHundredThousandSchedules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 100,000-schedule service")
	}
	const n = 100_000
	bin := buildBinary(t)
	doc := scalegen.Document(scalegen.Options{Schedules: n})
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(seed, data, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s := startSingle(t, bin, t.TempDir(), "SCHEDMGR_ADMIN_TOKEN="+adminToken, "SCHEDMGR_SEED_CONFIG="+seed)
	t.Logf("%d schedules (%.1f MB): ready after %s", n, float64(len(data))/1e6, time.Since(start).Round(time.Millisecond))

	// Names from the start, the middle and the end of the document.
	for _, i := range []int{0, n / 2, n - 1} {
		name := doc.Schedules[i].Name
		var st struct {
			IsOpen       bool   `json:"isOpen"`
			ClosedReason string `json:"closedReason"`
		}
		if code := s.api(t, "GET", "/check-schedule?name="+url.QueryEscape(name), "", "", &st); code != http.StatusOK {
			t.Fatalf("check-schedule %q: %d", name, code)
		}
		if !st.IsOpen && st.ClosedReason == "" {
			t.Errorf("check-schedule %q: closed without a reason", name)
		}
	}
	var page struct {
		Version uint64 `json:"version"`
		Total   int    `json:"total"`
	}
	if code := s.api(t, "GET", "/api/v1/schedules?limit=1", adminToken, "", &page); code != http.StatusOK || page.Total != n {
		t.Fatalf("paged listing: %d, total %d, want %d", code, page.Total, n)
	}

	// An edit of the whole document: the first schedule renamed.
	renamed := doc.Schedules[0].Name + " (renamed)"
	doc.Schedules[0].Name = renamed
	edited, _ := json.Marshal(doc)
	put := func(body []byte, version uint64) (int, string) {
		t.Helper()
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `{"version":%d,"message":"smoke","data":`, version)
		buf.Write(body)
		buf.WriteString("}")
		req, _ := http.NewRequest("PUT", s.base+"/api/v1/config", &buf)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("PUT /api/v1/config: %v", err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	published := time.Now()
	if code, body := put(edited, page.Version); code != http.StatusOK {
		t.Fatalf("PUT of the edited document: %d %.300s", code, body)
	}
	poll.Until(t, "the renamed schedule served", func() bool {
		return s.api(t, "GET", "/check-schedule?name="+url.QueryEscape(renamed), "", "", nil) == http.StatusOK
	})
	t.Logf("publish → serving: %s", time.Since(published).Round(time.Millisecond))
	if code := s.api(t, "GET", "/api/v1/schedules?limit=1", adminToken, "", &page); code != http.StatusOK || page.Total != n {
		t.Fatalf("after the edit: %d, total %d", code, page.Total)
	}

	// One schedule more than the limit (100,000 by default).
	doc.Schedules = append(doc.Schedules, doc.Schedules[1])
	doc.Schedules[n].Name = "one too many"
	over, _ := json.Marshal(doc)
	code, body := put(over, page.Version)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "max-schedules") {
		t.Fatalf("a document of %d schedules: %d %.300s, want 413 naming max-schedules", n+1, code, body)
	}
	var after struct {
		Version uint64 `json:"version"`
		Total   int    `json:"total"`
	}
	if code := s.api(t, "GET", "/api/v1/schedules?limit=1", adminToken, "", &after); code != http.StatusOK || after.Version != page.Version || after.Total != n {
		t.Errorf("after the refusal: %d, version %d total %d, want version %d total %d", code, after.Version, after.Total, page.Version, n)
	}
}
