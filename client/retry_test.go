package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/client"
)

// script is a test server that answers the n-th request with the n-th
// handler (the last one repeats) and records the requests.
type script struct {
	mu       sync.Mutex
	handlers []http.HandlerFunc
	methods  []string
	srv      *httptest.Server
}

func newScript(t *testing.T, handlers ...http.HandlerFunc) *script {
	t.Helper()
	s := &script{handlers: handlers}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.methods)
		s.methods = append(s.methods, r.Method+" "+r.URL.Path)
		h := s.handlers[min(n, len(s.handlers)-1)]
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *script) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.methods)
}

func status(code int, retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": http.StatusText(code) + " from the script"})
	}
}

// okHistory answers GET /api/v1/history.
func okHistory(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"versions":[{"version":7,"author":"a"}]}`))
}

// dropConnection closes the connection without an answer.
func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// hang waits for the request to be abandoned (or 5 s).
func hang(w http.ResponseWriter, r *http.Request) {
	// The server notices a client leaving only once the body is read.
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func TestRetries(t *testing.T) {
	read := func(ctx context.Context, c *client.Client) error { _, err := c.History(ctx, 0); return err }
	put := func(ctx context.Context, c *client.Client) error {
		_, err := c.PutConfig(ctx, []byte(`{}`), 1, "")
		return err
	}
	closeSchedule := func(ctx context.Context, c *client.Client) error { _, err := c.CloseSchedule(ctx, "S", ""); return err }

	tests := []struct {
		name       string
		handlers   []http.HandlerFunc
		opts       []client.Option
		call       func(context.Context, *client.Client) error
		ctxTimeout time.Duration
		attempts   int
		errIs      error // the call fails with this
		fails      bool  // the call fails (errIs nil)
		// minElapsed is a wait the client must not cut short: a lower
		// bound only (timers never fire early, so no machine is too slow
		// for it). Upper bounds would be wall-clock limits; the error and
		// the attempt count show instead that the client did not wait out
		// a hanging server or a long Retry-After (it would then fail with
		// another error).
		minElapsed time.Duration
	}{
		{name: "503 twice then success", handlers: []http.HandlerFunc{status(503, ""), status(503, ""), okHistory},
			call: read, attempts: 3},
		{name: "retries exhausted", handlers: []http.HandlerFunc{status(503, "")},
			call: read, attempts: 3, errIs: client.ErrUnavailable},
		{name: "429 is retried", handlers: []http.HandlerFunc{status(429, ""), okHistory}, call: read, attempts: 2},
		{name: "500 and 502 are retried", handlers: []http.HandlerFunc{status(500, ""), status(502, ""), okHistory}, call: read, attempts: 3},
		{name: "a dropped connection is retried", handlers: []http.HandlerFunc{dropConnection, okHistory}, call: read, attempts: 2},
		{name: "501 is not retried", handlers: []http.HandlerFunc{status(501, ""), okHistory}, call: read, attempts: 1, fails: true},
		{name: "404 is not retried", handlers: []http.HandlerFunc{status(404, ""), okHistory}, call: read, attempts: 1, errIs: client.ErrNotFound},
		{name: "a PUT is not retried", handlers: []http.HandlerFunc{status(503, ""), okHistory}, call: put, attempts: 1, errIs: client.ErrUnavailable},
		{name: "a POST is not retried", handlers: []http.HandlerFunc{status(502, ""), okHistory}, call: closeSchedule, attempts: 1, fails: true},
		{name: "a POST whose connection dropped is not retried", handlers: []http.HandlerFunc{dropConnection, okHistory}, call: closeSchedule, attempts: 1, fails: true},
		{name: "retries off", handlers: []http.HandlerFunc{status(503, ""), okHistory}, opts: []client.Option{client.WithRetries(0, 0)},
			call: read, attempts: 1, errIs: client.ErrUnavailable},
		{name: "Retry-After is honoured", handlers: []http.HandlerFunc{status(503, "1"), okHistory}, call: read, attempts: 2,
			minElapsed: time.Second},
		{name: "Retry-After beyond the context deadline: give up at once", handlers: []http.HandlerFunc{status(503, "20"), okHistory},
			call: read, ctxTimeout: 5 * time.Second, attempts: 1, errIs: client.ErrUnavailable},
		{name: "per-attempt timeout, then success", handlers: []http.HandlerFunc{hang, okHistory},
			opts: []client.Option{client.WithTimeout(150 * time.Millisecond)}, call: read, attempts: 2,
			minElapsed: 150 * time.Millisecond},
		{name: "per-attempt timeout on a write", handlers: []http.HandlerFunc{hang, okHistory},
			opts: []client.Option{client.WithTimeout(150 * time.Millisecond)}, call: put, attempts: 1,
			errIs: context.DeadlineExceeded},
		{name: "every attempt times out", handlers: []http.HandlerFunc{hang},
			opts: []client.Option{client.WithTimeout(100 * time.Millisecond)}, call: read, attempts: 3,
			errIs: context.DeadlineExceeded},
		{name: "context deadline during a request", handlers: []http.HandlerFunc{hang},
			call: read, ctxTimeout: 200 * time.Millisecond, attempts: 1, errIs: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, tt.handlers...)
			c, err := client.New(s.srv.URL, append([]client.Option{client.WithRetries(2, 5*time.Millisecond)}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			start := time.Now()
			err = tt.call(ctx, c)
			elapsed := time.Since(start)
			switch {
			case tt.errIs != nil && !errors.Is(err, tt.errIs):
				t.Errorf("error %v, want %v", err, tt.errIs)
			case tt.fails && err == nil:
				t.Error("no error")
			case tt.errIs == nil && !tt.fails && err != nil:
				t.Errorf("error %v", err)
			}
			if got := s.attempts(); got != tt.attempts {
				t.Errorf("%d attempts, want %d", got, tt.attempts)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("took %s, want at least %s", elapsed, tt.minElapsed)
			}
		})
	}
}

// Cancelling the context ends a call at once, whether it waits for an
// answer or for the next attempt; the error matches context.Canceled and
// names the last answer (a call that slept through the cancel would name
// no answer, and a hanging server would answer after 5 s).
func TestCancel(t *testing.T) {
	for _, tt := range []struct {
		name     string
		handler  http.HandlerFunc
		errHas   string
		attempts int
	}{
		{"waiting for the answer", hang, "context canceled", 1},
		{"waiting to retry", status(503, "20"), "last answer: 503", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, tt.handler)
			c, _ := client.New(s.srv.URL)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			_, err := c.History(ctx, 0)
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %v, want context.Canceled and %q", err, tt.errHas)
			}
			if s.attempts() != tt.attempts {
				t.Errorf("%d attempts", s.attempts())
			}
		})
	}
}

func TestTimeoutError(t *testing.T) {
	s := newScript(t, hang)
	c, _ := client.New(s.srv.URL, client.WithTimeout(50*time.Millisecond), client.WithRetries(0, 0))
	_, err := c.Check(context.Background(), "S")
	var te *client.TimeoutError
	if !errors.As(err, &te) || te.Timeout != 50*time.Millisecond || !strings.Contains(err.Error(), "GET /check-schedule: no answer within the per-attempt timeout of 50ms") {
		t.Errorf("error %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		url, base, errHas string
	}{
		{url: "http://127.0.0.1:8080", base: "http://127.0.0.1:8080"},
		{url: "https://example.com/schedmgr/", base: "https://example.com/schedmgr"},
		{url: "127.0.0.1:8080", errHas: "scheme must be http or https"},
		{url: "ftp://example.com", errHas: "scheme must be http or https"},
		{url: "http://", errHas: "has no host"},
		{url: "http://example.com/?x=1", errHas: "only scheme, host and an optional path prefix"},
		{url: "http://user:pw@example.com", errHas: "only scheme, host"},
		{url: "http://exa mple.com", errHas: "invalid"},
	} {
		c, err := client.New(tt.url)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("New(%q) error %v, want %q", tt.url, err, tt.errHas)
			}
			continue
		}
		if err != nil || c.BaseURL() != tt.base {
			t.Errorf("New(%q) = %v, %v", tt.url, c, err)
		}
	}
}

// A path prefix is kept, the token and a user agent are sent.
func TestRequestHeaders(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		okHistory(w, r)
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL+"/prefix/", client.WithToken(" secret-token "), client.WithHTTPClient(srv.Client()))
	if _, err := c.History(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	if got.URL.String() != "/prefix/api/v1/history?limit=3" || got.Header.Get("Authorization") != "Bearer secret-token" ||
		!strings.HasPrefix(got.Header.Get("User-Agent"), "schedule-manager-go-client/") {
		t.Errorf("request %s %v", got.URL, got.Header)
	}
}

// An error page that is not the service's JSON still gives a readable
// error.
func TestNonJSONError(t *testing.T) {
	s := newScript(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body>Bad gateway</body></html>"))
	})
	c, _ := client.New(s.srv.URL, client.WithRetries(0, 0))
	_, _, err := c.Schedules(context.Background())
	var ae *client.Error
	if !errors.As(err, &ae) || ae.Status != 502 || ae.Message != "bad gateway" || !strings.Contains(string(ae.Body), "<html>") {
		t.Errorf("error %#v", err)
	}
}
