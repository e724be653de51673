package webhook

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		status        int
		ok, retryable bool
	}{
		{200, true, false}, {201, true, false}, {204, true, false}, {299, true, false},
		{500, false, true}, {502, false, true}, {503, false, true}, {504, false, true},
		{408, false, true}, {429, false, true},
		{400, false, false}, {401, false, false}, {403, false, false}, {404, false, false}, {410, false, false}, {422, false, false},
		{301, false, false}, {302, false, false}, {307, false, false},
		{100, false, false},
	}
	for _, tt := range tests {
		ok, retryable := classify(tt.status)
		if ok != tt.ok || retryable != tt.retryable {
			t.Errorf("classify(%d) = %v, %v; want %v, %v", tt.status, ok, retryable, tt.ok, tt.retryable)
		}
	}
}

func TestBackoff(t *testing.T) {
	base, ceiling := 100*time.Millisecond, 2*time.Second
	tests := []struct {
		attempt    int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{1, 0, 80 * time.Millisecond, 100 * time.Millisecond},
		{2, 0, 160 * time.Millisecond, 200 * time.Millisecond},
		{3, 0, 320 * time.Millisecond, 400 * time.Millisecond},
		{5, 0, 1280 * time.Millisecond, 1600 * time.Millisecond},
		{6, 0, 1600 * time.Millisecond, 2 * time.Second}, // capped
		{1000, 0, 1600 * time.Millisecond, 2 * time.Second},
		{1, time.Second, time.Second, time.Second},       // Retry-After honoured
		{1, time.Hour, 2 * time.Second, 2 * time.Second}, // up to the ceiling
	}
	for _, tt := range tests {
		for range 50 {
			if d := backoff(base, ceiling, tt.attempt, tt.retryAfter); d < tt.lo || d > tt.hi {
				t.Errorf("backoff(attempt %d, retry-after %s) = %s, want %s..%s", tt.attempt, tt.retryAfter, d, tt.lo, tt.hi)
				break
			}
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, "-1": 0, "soon": 0,
		now.Add(time.Minute).Format(http.TimeFormat):  time.Minute,
		now.Add(-time.Minute).Format(http.TimeFormat): 0,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestSend checks one attempt against real receivers: the request's
// headers and signature, and how each answer is classified.
func TestSend(t *testing.T) {
	refused := func() string {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr + "/hook"
	}()
	tests := []struct {
		name          string
		handler       http.HandlerFunc
		url           string // instead of the handler's server
		ok, retryable bool
		gone          bool
		status        int
		errHas        string
		detailHas     string // in the log detail, never in the error
	}{
		{name: "200", handler: func(w http.ResponseWriter, _ *http.Request) {}, ok: true, status: 200},
		{name: "204", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }, ok: true, status: 204},
		{name: "500 with body", handler: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "db down", 500) },
			retryable: true, status: 500, errHas: "HTTP 500 Internal Server Error", detailHas: "db down"},
		{name: "429", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(429) }, retryable: true, status: 429},
		{name: "404", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }, status: 404, errHas: "HTTP 404 Not Found"},
		{name: "410", handler: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "endpoint retired", http.StatusGone) }, status: 410, gone: true,
			errHas: "HTTP 410 Gone: the receiver asks to stop deliveries", detailHas: "endpoint retired"},
		{name: "redirect not followed", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/elsewhere" {
				t.Error("the redirect was followed")
			}
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		}, status: 307, errHas: "redirects are not followed", detailHas: "redirect to /elsewhere"},
		{name: "timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, retryable: true, errHas: "no answer within 300ms"},
		{name: "connection refused", url: refused, retryable: true, errHas: "refused"},
	}
	body := []byte(`{"specversion":"1.0","id":"e1"}`)
	key, _ := event.ParseSecret(testSecret)
	now := time.Unix(1_800_000_000, 0)
	s := newSender(newDialer(true, defaultLookup), 300*time.Millisecond, 4, func() time.Time { return now })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if tt.handler != nil {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					b, _ := io.ReadAll(r.Body)
					if r.Method != http.MethodPost || r.Header.Get("Content-Type") != event.ContentType ||
						r.Header.Get(event.HeaderID) != "e1" || r.Header.Get(event.HeaderTimestamp) != "1800000000" {
						t.Errorf("request %s %v", r.Method, r.Header)
					}
					if err := event.Verify(testSecret, r.Header, b, now, 0); err != nil {
						t.Errorf("Verify: %v", err)
					}
					tt.handler(w, r)
				}))
				defer srv.Close()
				url = srv.URL + "/hook"
			}
			r := s.send(context.Background(), url, key, "e1", body)
			if r.ok() != tt.ok || r.Retryable != tt.retryable || r.Status != tt.status {
				t.Errorf("send = ok %v retryable %v status %d (%v); want %v %v %d", r.ok(), r.Retryable, r.Status, r.Err, tt.ok, tt.retryable, tt.status)
			}
			if tt.errHas != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tt.errHas)) {
				t.Errorf("error %v, want it to say %q", r.Err, tt.errHas)
			}
			if r.Gone != tt.gone {
				t.Errorf("gone = %v, want %v", r.Gone, tt.gone)
			}
			if tt.detailHas != "" {
				if !strings.Contains(r.Detail, tt.detailHas) {
					t.Errorf("detail %q, want it to say %q", r.Detail, tt.detailHas)
				}
				if strings.Contains(r.Err.Error(), tt.detailHas) {
					t.Errorf("the error %q repeats what the receiver answered", r.Err)
				}
			}
		})
	}
}

// TestShortReason: what is stored and shown of a failure keeps the status
// and drops what the receiver said, also from dead letters stored by
// earlier versions ("HTTP 500: <answer>").
func TestShortReason(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP 500: internal error at db-7.corp: password=hunter2": "HTTP 500 Internal Server Error",
		"HTTP 404":      "HTTP 404 Not Found",
		"HTTP 410 Gone": "HTTP 410 Gone: the receiver asks to stop deliveries; the endpoint is disabled",
		"HTTP 302 redirect to http://x/y (not followed; configure the final URL)": "HTTP 302 Found: redirects are not followed; configure the final URL",
		"no answer within 15s":                              "no answer within 15s",
		"dial tcp 127.0.0.1:1: connect: connection refused": "dial tcp 127.0.0.1:1: connect: connection refused",
		"HTTP x": "HTTP x",
	} {
		if got := shortReason(in); got != want {
			t.Errorf("shortReason(%q) = %q, want %q", in, got, want)
		}
	}
}
