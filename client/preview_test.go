package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/examples"
)

// TestPreviewAndPublish: against the real service seeded with the example
// config, a rename of Night Desk previews as removed (with the requests
// its callers made) plus added; an invalid draft is an answer, not an
// error; a publish returns its warnings.
func TestPreviewAndPublish(t *testing.T) {
	svc := startService(t)
	ctx := testContext(t)
	admin := svc.client(t, adminToken)
	viewer := svc.client(t, viewerToken)
	anon := svc.client(t, "")
	seed := examples.Default()

	for range 3 {
		if _, err := anon.Check(ctx, "Night Desk"); err != nil {
			t.Fatal(err)
		}
	}
	renamed := json.RawMessage(strings.Replace(string(seed), `"name": "Night Desk"`, `"name": "Night Team"`, 1))
	p, err := viewer.Preview(ctx, renamed, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Valid || len(p.Errors) != 0 || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Message, "3 check-schedule requests") ||
		p.PublishedVersion != 1 || p.To.Sub(p.From).Hours() != 48 {
		t.Fatalf("preview %+v", p)
	}
	changes := map[string]client.SchedulePreview{}
	for _, s := range p.Schedules {
		changes[s.Name] = s
	}
	gone, added := changes["Night Desk"], changes["Night Team"]
	if gone.Change != client.ChangeRemoved || gone.RecentRequests != 3 || len(gone.Differences) == 0 || gone.Differences[0].After != nil {
		t.Errorf("removed: %+v", gone)
	}
	if added.Change != client.ChangeAdded || added.RecentRequests != 0 || len(added.Differences) == 0 || added.Differences[0].Before != nil {
		t.Errorf("added: %+v", added)
	}
	if s := changes["Support"]; s.Change != client.ChangeUnchanged || len(s.Differences) != 0 {
		t.Errorf("Support: %+v", s)
	}

	bad, err := viewer.Preview(ctx, json.RawMessage(`{"rules": [{"id": "a", "isOpen": true, "endTime": "25:00"}], "schedules": []}`), 0)
	if err != nil || bad.Valid || len(bad.Errors) != 1 || bad.Errors[0].Path != "rules[0].endTime" || len(bad.Schedules) != 0 {
		t.Errorf("invalid draft: %+v, %v", bad, err)
	}
	if _, err := anon.Preview(ctx, renamed, 0); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("without a token: %v", err)
	}
	if _, err := viewer.Preview(ctx, json.RawMessage(`{`), 0); err == nil {
		t.Error("a draft that is not JSON was sent")
	}

	// A publish with a past one-off date: written, and warned about.
	past := strings.Replace(string(seed), `"rules": [`, `"rules": [
    {"id": "old", "name": "Old closure", "isOpen": false, "closedReason": "closed", "startDate": "2023-09-04", "endDate": "2023-09-04"},`, 1)
	res, err := admin.Publish(ctx, json.RawMessage(past), 1, "with an old rule")
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 2 || len(res.Warnings) != 2 || res.Warnings[0].Path != "rules[0].startDate" || res.Warnings[1].Path != "rules[0]" {
		t.Errorf("publish: %+v", res)
	}
	// PutConfig is Publish without the warnings.
	if v, err := admin.PutConfig(ctx, seed, res.Version, "back"); err != nil || v != 3 {
		t.Errorf("PutConfig = %d, %v", v, err)
	}
}

// TestPreviewWire: the service's preview answer decodes into the client's
// type with no unknown field and encodes back to the same members.
func TestPreviewWire(t *testing.T) {
	svc := startService(t)
	body := `{"data": ` + strings.Replace(string(examples.Default()), `"name": "Support"`, `"name": "Help"`, 1) + `, "days": 1}`
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, svc.base+"/api/v1/preview", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+viewerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v: %s", resp.StatusCode, err, raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p client.Preview
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("the client's type lacks a field of the service's answer: %v\n%.500s", err, raw)
	}
	again, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	_ = json.Unmarshal(raw, &a)
	_ = json.Unmarshal(again, &b)
	// The client's booleans are always present; the service omits false ones.
	for _, m := range []map[string]any{a.(map[string]any), b.(map[string]any)} {
		delete(m, "errorsTruncated")
		delete(m, "warningsTruncated")
		for _, s := range m["schedules"].([]any) {
			delete(s.(map[string]any), "truncated")
		}
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("round trip changed the answer:\n got %s\nwant %s", jb, ja)
	}
}
