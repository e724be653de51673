package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/examples"
)

// wantAPIError checks that err is an *Error with status, matching sentinel
// and containing msg.
func wantAPIError(t *testing.T, err error, sentinel error, status int, msg string) *client.Error {
	t.Helper()
	var ae *client.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want an *client.Error with status %d", err, err, status)
	}
	if ae.Status != status || !errors.Is(err, sentinel) || !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q (status %d), want status %d matching %v and containing %q", err, ae.Status, status, sentinel, msg)
	}
	return ae
}

// The admin API, step by step on one service: each step sees the versions
// the earlier ones wrote.
func TestAdmin(t *testing.T) {
	svc := startService(t)
	ctx := testContext(t)
	admin := svc.client(t, adminToken)
	viewer := svc.client(t, viewerToken)
	seed := bytes.TrimSpace(examples.Default()) // JSON decoding drops white space around a value

	// A config with a schedule whose name needs escaping in a path, written
	// with its own formatting, which must survive byte for byte.
	var doc map[string]any
	if err := json.Unmarshal(seed, &doc); err != nil {
		t.Fatal(err)
	}
	doc["schedules"] = append(doc["schedules"].([]any), map[string]any{
		"name": "A/B test?#", "timeZone": "Europe/Paris", "rules": []any{"always-open"},
	})
	v2Data, _ := json.MarshalIndent(doc, "", "\t")

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Ready", func(t *testing.T) {
			v, err := svc.client(t, "").Ready(ctx)
			if err != nil || v != 1 {
				t.Fatalf("Ready = %d, %v", v, err)
			}
		}},
		{"Config as viewer", func(t *testing.T) {
			c, err := viewer.Config(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != 1 || c.ServedVersion != 1 || !c.VersionIsDeployed || c.Meta.Author != "seed" || c.Meta.Time.IsZero() || !bytes.Equal(c.Data, seed) {
				t.Errorf("config version %d served %d deployed %v meta %+v; data is the seed: %v", c.Version, c.ServedVersion, c.VersionIsDeployed, c.Meta, bytes.Equal(c.Data, seed))
			}
		}},
		{"no token", func(t *testing.T) {
			_, err := svc.client(t, "").Config(ctx)
			wantAPIError(t, err, client.ErrUnauthorized, 401, "missing or invalid bearer token")
		}},
		{"wrong token", func(t *testing.T) {
			_, _, err := svc.client(t, "wrong-token-0123456789").Schedules(ctx)
			wantAPIError(t, err, client.ErrUnauthorized, 401, "GET /api/v1/schedules: 401 Unauthorized")
		}},
		{"Schedules", func(t *testing.T) {
			list, v, err := viewer.Schedules(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range list {
				names = append(names, s.Name)
				if s.Version != 1 || s.Status.Schedule != s.Name || s.Status.At.Location().String() != s.TimeZone {
					t.Errorf("schedule %+v", s)
				}
			}
			if want := []string{"Support", "London Sales", "Night Desk", "Ops 24x7"}; v != 1 || !reflect.DeepEqual(names, want) {
				t.Errorf("version %d, names %q, want 1, %q", v, names, want)
			}
		}},
		{"Schedule", func(t *testing.T) {
			s, err := viewer.Schedule(ctx, "London Sales")
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != "London Sales" || s.TimeZone != "Europe/London" || s.Version != 1 || s.ManualClose ||
				!reflect.DeepEqual(s.Rules, []string{"gb-holidays", "lunch", "weekdays-09-17"}) || s.Status.ConfigVersion != 1 {
				t.Errorf("schedule %+v", s)
			}
		}},
		{"Schedule unknown", func(t *testing.T) {
			_, err := viewer.Schedule(ctx, "Nope")
			wantAPIError(t, err, client.ErrNotFound, 404, `unknown schedule "Nope"`)
		}},
		{"Timeline", func(t *testing.T) {
			tl, err := viewer.Timeline(ctx, "Support", "2026-07-02", "2026-07-06T12:00")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range tl.Segments {
				got = append(got, s.Start.Format("Mon 15:04 MST")+" "+s.ClosedReason)
			}
			want := []string{"Thu 00:00 CDT closed", "Thu 08:00 CDT ", "Thu 17:00 CDT closed", "Fri 00:00 CDT holiday", "Sat 00:00 CDT holiday", "Sun 00:00 CDT closed", "Mon 08:00 CDT "}
			if tl.Schedule != "Support" || !reflect.DeepEqual(got, want) {
				t.Errorf("timeline %s %q, want %q", tl.Schedule, got, want)
			}
			if tl.From.Format("2006-01-02T15:04 MST") != "2026-07-02T00:00 CDT" || tl.To.Format("2006-01-02T15:04 MST") != "2026-07-06T12:00 CDT" {
				t.Errorf("from %s to %s", tl.From, tl.To)
			}
		}},
		{"Timeline default range", func(t *testing.T) {
			tl, err := viewer.Timeline(ctx, "Ops 24x7", "", "")
			if err != nil || len(tl.Segments) == 0 || tl.To.Sub(tl.From).Hours() != 7*24 {
				t.Fatalf("timeline %+v, %v", tl, err)
			}
		}},
		{"Timeline bad range", func(t *testing.T) {
			_, err := viewer.Timeline(ctx, "Support", "2026-07-02", "2026-07-01")
			wantAPIError(t, err, client.ErrBadRequest, 400, "must be after from")
		}},
		{"PutConfig as viewer", func(t *testing.T) {
			_, err := viewer.PutConfig(ctx, v2Data, 1, "nope")
			wantAPIError(t, err, client.ErrForbidden, 403, `role "viewer"`)
		}},
		{"PutConfig", func(t *testing.T) {
			v, err := admin.PutConfig(ctx, v2Data, 1, "add the A/B schedule")
			if err != nil || v != 2 {
				t.Fatalf("PutConfig = %d, %v", v, err)
			}
			c, err := viewer.Config(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != 2 || c.Meta.Author != "admin" || c.Meta.Message != "add the A/B schedule" || !bytes.Equal(c.Data, v2Data) {
				t.Errorf("after the write: version %d meta %+v, data as sent: %v", c.Version, c.Meta, bytes.Equal(c.Data, v2Data))
			}
		}},
		{"PutConfig stale version", func(t *testing.T) {
			_, err := admin.PutConfig(ctx, seed, 1, "")
			ae := wantAPIError(t, err, client.ErrConflict, 409, "changed by someone else")
			if ae.CurrentVersion != 2 {
				t.Errorf("CurrentVersion %d, want 2", ae.CurrentVersion)
			}
			if errors.Is(err, client.ErrNotFound) || errors.Is(err, client.ErrBadRequest) {
				t.Error("a conflict matches other sentinels")
			}
		}},
		{"PutConfig invalid", func(t *testing.T) {
			bad := []byte(`{"rules": [{"id": "a", "isOpen": true, "startTime": "08:00", "endTime": "25:00"}],
				"schedules": [{"name": "S", "timeZone": "America/Chicgo", "rules": ["a"]}]}`)
			_, err := admin.PutConfig(ctx, bad, 2, "")
			ae := wantAPIError(t, err, client.ErrBadRequest, 400, "invalid config: 2 errors")
			want := []client.FieldError{
				{Path: "rules[0].endTime", Message: `"25:00" is not a time (HH:MM)`},
				{Path: "schedules[0].timeZone", Message: `unknown time zone "America/Chicgo"`},
			}
			if !reflect.DeepEqual(ae.Fields, want) {
				t.Errorf("fields %+v, want %+v", ae.Fields, want)
			}
			if !strings.Contains(err.Error(), `rules[0].endTime: "25:00" is not a time (HH:MM); schedules[0].timeZone: `) {
				t.Errorf("message does not list the fields: %v", err)
			}
		}},
		{"PutConfig not JSON", func(t *testing.T) {
			if _, err := admin.PutConfig(ctx, []byte(`{"rules": [`), 2, ""); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
				t.Fatalf("error %v", err)
			}
		}},
		{"Schedule with an escaped name", func(t *testing.T) {
			s, err := viewer.Schedule(ctx, "A/B test?#")
			if err != nil || s.Name != "A/B test?#" || !s.Status.IsOpen {
				t.Fatalf("schedule %+v, %v", s, err)
			}
			if _, err := viewer.Timeline(ctx, "A/B test?#", "", ""); err != nil {
				t.Fatal(err)
			}
		}},
		{"Close", func(t *testing.T) {
			r, err := admin.CloseSchedule(ctx, "Ops 24x7", "storm")
			if err != nil {
				t.Fatal(err)
			}
			if r != (client.ManualResult{Version: 3, Schedule: "Ops 24x7", ManualClose: true, Changed: true}) {
				t.Errorf("Close = %+v", r)
			}
			s, err := viewer.Schedule(ctx, "Ops 24x7")
			if err != nil {
				t.Fatal(err)
			}
			// The write is applied asynchronously by the watcher; wait for it.
			for deadline := time.Now().Add(10 * time.Second); s.Version < 3 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				if s, err = viewer.Schedule(ctx, "Ops 24x7"); err != nil {
					t.Fatal(err)
				}
			}
			if !s.ManualClose || s.Status.IsOpen || s.Status.ClosedReason != "manual" || s.Status.NextTransition != nil {
				t.Errorf("after Close: %+v", s)
			}
		}},
		{"Close again changes nothing", func(t *testing.T) {
			r, err := admin.CloseSchedule(ctx, "Ops 24x7", "")
			if err != nil || r.Changed || r.Version != 3 {
				t.Fatalf("Close = %+v, %v", r, err)
			}
		}},
		{"Open", func(t *testing.T) {
			r, err := admin.OpenSchedule(ctx, "Ops 24x7", "")
			if err != nil || !r.Changed || r.Version != 4 || r.ManualClose {
				t.Fatalf("Open = %+v, %v", r, err)
			}
		}},
		{"Close unknown", func(t *testing.T) {
			_, err := admin.CloseSchedule(ctx, "Nope", "")
			wantAPIError(t, err, client.ErrNotFound, 404, "POST /api/v1/schedules/Nope/close: 404 Not Found")
		}},
		{"Close as viewer", func(t *testing.T) {
			_, err := viewer.CloseSchedule(ctx, "Support", "")
			wantAPIError(t, err, client.ErrForbidden, 403, "cannot change the config")
		}},
		{"History", func(t *testing.T) {
			h, err := viewer.History(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []uint64
			for _, v := range h {
				got = append(got, v.Version)
			}
			if !reflect.DeepEqual(got, []uint64{4, 3, 2, 1}) || h[1].Message != "storm" || h[1].Author != "admin" || h[3].Author != "seed" {
				t.Errorf("history %+v", h)
			}
			if h, err := viewer.History(ctx, 2); err != nil || len(h) != 2 || h[0].Version != 4 {
				t.Errorf("History(2) = %+v, %v", h, err)
			}
			_, err = viewer.History(ctx, 5000)
			wantAPIError(t, err, client.ErrBadRequest, 400, "limit must be")
		}},
		{"Version", func(t *testing.T) {
			v, err := viewer.Version(ctx, 1)
			if err != nil || v.Version != 1 || v.Meta.Author != "seed" || !bytes.Equal(v.Data, seed) {
				t.Fatalf("Version(1) = %+v, %v", v, err)
			}
			_, err = viewer.Version(ctx, 99)
			wantAPIError(t, err, client.ErrNotFound, 404, "no version 99")
		}},
		{"Rollback", func(t *testing.T) {
			v, err := admin.Rollback(ctx, 1, "back to the seed")
			if err != nil || v != 5 {
				t.Fatalf("Rollback = %d, %v", v, err)
			}
			got, err := viewer.Version(ctx, 5)
			if err != nil || got.Meta.RollbackOf != 1 || got.Meta.Message != "back to the seed" || !bytes.Equal(got.Data, seed) {
				t.Fatalf("Version(5) = %+v, %v", got, err)
			}
		}},
		{"RollbackIfCurrent stale", func(t *testing.T) {
			_, err := admin.RollbackIfCurrent(ctx, 2, 4, "")
			if ae := wantAPIError(t, err, client.ErrConflict, 409, "version 5"); ae.CurrentVersion != 5 {
				t.Errorf("CurrentVersion %d, want 5", ae.CurrentVersion)
			}
		}},
		{"RollbackIfCurrent", func(t *testing.T) {
			v, err := admin.RollbackIfCurrent(ctx, 2, 5, "")
			if err != nil || v != 6 {
				t.Fatalf("RollbackIfCurrent = %d, %v", v, err)
			}
			c, err := viewer.Config(ctx)
			if err != nil || c.Version != 6 || c.Meta.RollbackOf != 2 || c.Meta.Message != "rollback to version 2" || !bytes.Equal(c.Data, v2Data) {
				t.Fatalf("config %+v, %v", c, err)
			}
		}},
		{"Rollback unknown version", func(t *testing.T) {
			_, err := admin.Rollback(ctx, 99, "")
			wantAPIError(t, err, client.ErrNotFound, 404, "no version 99")
		}},
		{"Rollback as viewer", func(t *testing.T) {
			_, err := viewer.Rollback(ctx, 1, "")
			wantAPIError(t, err, client.ErrForbidden, 403, "")
		}},
	}
	for _, st := range steps {
		if !t.Run(st.name, st.run) {
			t.FailNow() // later steps depend on this one
		}
	}
}
