package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// Roles a Token can have. An admin can do everything a viewer can; both
// can do what a metrics token can.
const (
	RoleAdmin  = "admin"  // reads and writes
	RoleViewer = "viewer" // reads only
	// RoleMetrics reads GET /metrics and nothing else: the token to give a
	// Prometheus server, which then cannot read the config or hold event
	// streams.
	RoleMetrics = "metrics"
)

// Token is a configured bearer token. Only its hash is kept.
type Token struct {
	// Name identifies the token holder; it is recorded as the author of the
	// config versions the token writes.
	Name string
	// Role is RoleAdmin or RoleViewer.
	Role string
	// SHA256 is the hex SHA-256 of the token (see HashToken).
	SHA256 string
}

// HashToken returns the hex SHA-256 of token, the form in which tokens are
// configured (Token.SHA256).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// principal is an authenticated caller.
type principal struct {
	name string
	role string
}

func (p principal) canWrite() bool { return p.role == RoleAdmin }

// canRead reports whether p may use the admin API's reads (and
// check-schedule when it is not public): every role but RoleMetrics.
func (p principal) canRead() bool { return p.role == RoleAdmin || p.role == RoleViewer }

type authenticator struct {
	names  []string
	roles  []string
	hashes [][]byte // 32 bytes each
}

func newAuthenticator(tokens []Token) (*authenticator, error) {
	a := &authenticator{}
	seen := map[string]string{}
	for i, t := range tokens {
		if strings.TrimSpace(t.Name) == "" {
			return nil, fmt.Errorf("api: tokens[%d]: name is required", i)
		}
		if t.Role != RoleAdmin && t.Role != RoleViewer && t.Role != RoleMetrics {
			return nil, fmt.Errorf("api: token %q: role %q is not %q, %q or %q", t.Name, t.Role, RoleAdmin, RoleViewer, RoleMetrics)
		}
		h, err := hex.DecodeString(strings.TrimSpace(t.SHA256))
		if err != nil || len(h) != sha256.Size {
			return nil, fmt.Errorf("api: token %q: sha256 must be 64 hex digits (api.HashToken of the token)", t.Name)
		}
		if other, dup := seen[string(h)]; dup {
			return nil, fmt.Errorf("api: tokens %q and %q have the same hash", other, t.Name)
		}
		seen[string(h)] = t.Name
		a.names = append(a.names, t.Name)
		a.roles = append(a.roles, t.Role)
		a.hashes = append(a.hashes, h)
	}
	return a, nil
}

// authenticate checks the request's bearer token. The hash of the presented
// token is compared with every configured hash in constant time, so neither
// which token matched nor how much of it did leaks through timing.
func (a *authenticator) authenticate(r *http.Request) (principal, bool) {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return principal{}, false
	}
	sum := sha256.Sum256([]byte(token))
	match := -1
	for i, h := range a.hashes {
		eq := subtle.ConstantTimeCompare(sum[:], h)
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return principal{}, false
	}
	return principal{name: a.names[match], role: a.roles[match]}, true
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header (the scheme is case-insensitive).
func bearerToken(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	t := strings.TrimSpace(h[len(scheme):])
	return t, t != ""
}

// writeUnauthorized answers a request without a valid token.
func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="schedule-manager"`)
	writeError(w, http.StatusUnauthorized, "missing or invalid bearer token")
}

// writeMetricsOnly answers a RoleMetrics token used for anything but
// /metrics.
func writeMetricsOnly(w http.ResponseWriter, p principal) {
	writeErrorf(w, http.StatusForbidden, "token %s has role %q, which can only read /metrics; use a %q or %q token", quote(p.name), p.role, RoleViewer, RoleAdmin)
}

// handlerFunc is an admin handler with its authenticated caller.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p principal)

// admin wraps h: security headers, then authentication, then the role
// check (write handlers need RoleAdmin; a RoleMetrics token reads
// nothing here).
func (s *Server) admin(write bool, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setJSONHeaders(w.Header())
		p, ok := s.auth.authenticate(r)
		if !ok {
			writeUnauthorized(w)
			return
		}
		if !p.canRead() {
			writeMetricsOnly(w, p)
			return
		}
		if write && !p.canWrite() {
			writeErrorf(w, http.StatusForbidden, "token %s has role %q, which cannot change the config; use an %q token", quote(p.name), p.role, RoleAdmin)
			return
		}
		h(w, r, p)
	})
}
