package client_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/client"
)

func TestCheck(t *testing.T) {
	svc := startService(t)
	ctx := testContext(t)
	anon := svc.client(t, "")
	chicago, _ := time.LoadLocation("America/Chicago")

	type want struct {
		isOpen         bool
		reason         string
		schedule, zone string
		at             string // RFC 3339
		rule, holiday  string
		next           string // RFC 3339 of nextTransition.at, "" for null
	}
	tests := []struct {
		name   string
		call   func() (client.CheckResult, error)
		want   want
		errIs  error  // the call fails with this
		status int    // and this status
		errHas string // and this in the message
	}{
		{name: "simulate holiday", call: func() (client.CheckResult, error) { return anon.Simulate(ctx, "Support", "2027-11-25T10:00") },
			want: want{false, "holiday", "Support", "America/Chicago", "2027-11-25T10:00:00-06:00", "us-holidays", "Thanksgiving Day", "2027-11-26T00:00:00-06:00"}},
		{name: "simulate lunch, name with a space", call: func() (client.CheckResult, error) { return anon.Simulate(ctx, "London Sales", "2026-03-02T12:30") },
			want: want{false, "lunch", "London Sales", "Europe/London", "2026-03-02T12:30:00Z", "lunch", "", "2026-03-02T13:00:00Z"}},
		{name: "simulate absolute instant", call: func() (client.CheckResult, error) { return anon.Simulate(ctx, "Night Desk", "2026-03-03T04:00:00Z") },
			want: want{true, "", "Night Desk", "America/New_York", "2026-03-02T23:00:00-05:00", "weeknights-22-06", "", "2026-03-03T06:00:00-05:00"}},
		{name: "CheckAt", call: func() (client.CheckResult, error) {
			return anon.CheckAt(ctx, "Support", time.Date(2026, 7, 3, 10, 0, 0, 0, chicago))
		}, want: want{false, "holiday", "Support", "America/Chicago", "2026-07-03T10:00:00-05:00", "us-holidays", "Independence Day (observed)", "2026-07-05T00:00:00-05:00"}},
		{name: "any token is fine on the public endpoint", call: func() (client.CheckResult, error) {
			return svc.client(t, "not-a-token").Simulate(ctx, "Support", "2027-11-25T10:00")
		}, want: want{false, "holiday", "Support", "America/Chicago", "2027-11-25T10:00:00-06:00", "us-holidays", "Thanksgiving Day", "2027-11-26T00:00:00-06:00"}},
		{name: "unknown schedule", call: func() (client.CheckResult, error) { return anon.Check(ctx, "Suport") },
			errIs: client.ErrNotFound, status: 404, errHas: `GET /check-schedule: 404 Not Found: unknown schedule "Suport"`},
		{name: "unknown schedule with query characters", call: func() (client.CheckResult, error) { return anon.Simulate(ctx, "a&simulate=x#b", "2026-07-01") },
			errIs: client.ErrNotFound, status: 404, errHas: `unknown schedule "a&simulate=x#b"`},
		{name: "bad simulate", call: func() (client.CheckResult, error) { return anon.Simulate(ctx, "Support", "tomorrow") },
			errIs: client.ErrBadRequest, status: 400, errHas: "simulate: "},
		{name: "no name", call: func() (client.CheckResult, error) { return anon.Check(ctx, "") },
			errIs: client.ErrBadRequest, status: 400, errHas: "missing schedule name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.call()
			if tt.errIs != nil {
				if !errors.Is(err, tt.errIs) {
					t.Fatalf("error %v, want %v", err, tt.errIs)
				}
				var ae *client.Error
				if !errors.As(err, &ae) || ae.Status != tt.status || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("error %#v (%v), want status %d and %q", ae, err, tt.status, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			if r.IsOpen != w.isOpen || r.ClosedReason != w.reason || r.Schedule != w.schedule || r.TimeZone != w.zone || r.Holiday != w.holiday {
				t.Errorf("got %+v, want %+v", r, w)
			}
			if got := r.At.Format(time.RFC3339); got != w.at {
				t.Errorf("at %s, want %s", got, w.at)
			}
			if r.At.Location().String() != w.zone {
				t.Errorf("at is in %s, want the schedule's zone %s", r.At.Location(), w.zone)
			}
			if (r.Rule == nil) != (w.rule == "") || r.Rule != nil && r.Rule.ID != w.rule {
				t.Errorf("rule %+v, want %q", r.Rule, w.rule)
			}
			if got := ""; r.NextTransition != nil {
				got = r.NextTransition.At.Format(time.RFC3339)
				if got != w.next || r.NextTransition.At.Location().String() != w.zone {
					t.Errorf("next %s in %s, want %s", got, r.NextTransition.At.Location(), w.next)
				}
			} else if w.next != "" {
				t.Errorf("no next transition, want %s", w.next)
			}
			if r.ConfigVersion != 1 {
				t.Errorf("configVersion %d, want 1", r.ConfigVersion)
			}
		})
	}

	t.Run("now", func(t *testing.T) {
		before := time.Now().Truncate(time.Second)
		r, err := anon.Check(ctx, "Support")
		if err != nil {
			t.Fatal(err)
		}
		if r.Schedule != "Support" || r.At.Before(before) || r.At.After(time.Now()) || r.At.Location().String() != "America/Chicago" {
			t.Errorf("got %+v", r)
		}
	})

	// The decoded answer encodes back to exactly what the service sent.
	t.Run("round trip", func(t *testing.T) {
		q := url.Values{"name": {"Support"}, "simulate": {"2027-11-25T10:00"}}
		resp, err := http.Get(svc.base + "/check-schedule?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r, err := anon.Simulate(ctx, "Support", "2027-11-25T10:00")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r)
		if string(b)+"\n" != string(raw) {
			t.Errorf("re-encoded\n%s\nservice sent\n%s", b, raw)
		}
	})
}
