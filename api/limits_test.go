package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// sseTokens are a viewer and an admin token for the SSE limit tests.
var sseTokens = []api.Token{
	{Name: viewerName, Role: api.RoleViewer, SHA256: api.HashToken(viewerToken)},
	{Name: adminName, Role: api.RoleAdmin, SHA256: api.HashToken(adminToken)},
}

// expectRefused fails unless r is a 503 with a Retry-After header and a
// message containing each of want.
func expectRefused(t *testing.T, what string, c *sseClient, r sseRefusal, want ...string) {
	t.Helper()
	if c != nil {
		t.Fatalf("%s: the stream was opened", what)
	}
	if r.code != http.StatusServiceUnavailable || r.retryAfter == "" {
		t.Fatalf("%s: status %d, Retry-After %q; want 503 with Retry-After", what, r.code, r.retryAfter)
	}
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Errorf("%s: body %s does not say %q", what, r.body, w)
		}
	}
}

// TestSSEOneTokenCannotTakeEverySlot: with the default limits a viewer
// token opens DefaultSSEMaxPerToken streams and no more, and another token
// still gets one.
func TestSSEOneTokenCannotTakeEverySlot(t *testing.T) {
	e := newSSEEnv(t, api.Options{Tokens: sseTokens}, 0)
	for i := range api.DefaultSSEMaxPerToken {
		if c, r := openSSEAs(t, e.url, "", "", viewerToken); c == nil {
			t.Fatalf("viewer stream %d refused: %d %s", i+1, r.code, r.body)
		}
	}
	c, r := openSSEAs(t, e.url, "", "", viewerToken)
	expectRefused(t, "one viewer stream over the per-token limit", c, r, "victor", "already has 16 event streams open", "sse-max-per-token")
	if c, r := openSSEAs(t, e.url, "", "", adminToken); c == nil {
		t.Fatalf("another token's stream refused: %d %s", r.code, r.body)
	}
}

// TestSSELimits: the total limit and the per-token limit each refuse with
// a message naming their setting, and a closed stream frees its slot.
func TestSSELimits(t *testing.T) {
	e := newSSEEnv(t, api.Options{Tokens: sseTokens, SSEMaxClients: 3, SSEMaxPerToken: 2}, 0)
	v1, _ := openSSEAs(t, e.url, "", "", viewerToken)
	v2, _ := openSSEAs(t, e.url, "", "", viewerToken)
	a1, _ := openSSEAs(t, e.url, "", "", adminToken)
	for i, c := range []*sseClient{v1, v2, a1} {
		if c == nil {
			t.Fatalf("stream %d refused under the limits", i)
		}
	}
	c, r := openSSEAs(t, e.url, "", "", viewerToken)
	expectRefused(t, "third viewer stream", c, r, "sse-max-per-token", "2 event streams")
	c, r = openSSEAs(t, e.url, "", "", adminToken)
	expectRefused(t, "fourth stream in all", c, r, "sse-max-clients", "3 event streams")

	// The server frees v1's slot once it sees the connection closed.
	v1.close()
	poll.Until(t, "a viewer stream to open after one closed", func() bool {
		c, _ := openSSEAs(t, e.url, "", "", viewerToken)
		return c != nil
	})

	// Shutting down refuses new streams with its own message.
	e.srv.Close()
	c, r = openSSEAs(t, e.url, "", "", adminToken)
	expectRefused(t, "stream during shutdown", c, r, "shutting down")
}
