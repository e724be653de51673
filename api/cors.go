package api

import (
	"fmt"
	"net/http"
	"strings"
)

// cors answers cross-origin requests. Bearer tokens are never sent by a
// browser on its own (unlike cookies), so allowing other origins exposes
// nothing a caller does not already hold: a Flex plugin or a wallboard on
// another origin can call check-schedule and, with a token, the admin API.
type cors struct {
	any     bool                // "*" configured
	origins map[string]struct{} // exact origins (scheme://host[:port])
}

var (
	hdrStar       = []string{"*"}
	hdrVaryOrigin = []string{"Origin"}
	hdrAllowHdrs  = []string{"Authorization, Content-Type"}
	hdrMaxAge     = []string{"600"}
	hdrExposeHdrs = []string{"WWW-Authenticate, Retry-After"}
	hdrCheckAllow = []string{"GET, HEAD, POST, OPTIONS"}
)

func newCORS(origins []string) (cors, error) {
	if origins == nil {
		return cors{any: true}, nil
	}
	c := cors{origins: map[string]struct{}{}}
	for _, o := range origins {
		o = strings.TrimSpace(o)
		switch {
		case o == "*":
			c.any = true
		case o == "":
			continue
		case !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") || strings.HasSuffix(o, "/"):
			return cors{}, fmt.Errorf("api: CORS origin %q must look like https://host[:port], without a path", o)
		default:
			c.origins[strings.ToLower(o)] = struct{}{}
		}
	}
	return c, nil
}

// apply sets Access-Control-Allow-Origin for the request's origin.
func (c cors) apply(h http.Header, r *http.Request) {
	if c.any {
		h["Access-Control-Allow-Origin"] = hdrStar
		h["Access-Control-Expose-Headers"] = hdrExposeHdrs
		return
	}
	h["Vary"] = hdrVaryOrigin
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	if _, ok := c.origins[strings.ToLower(origin)]; ok {
		h["Access-Control-Allow-Origin"] = []string{origin}
		h["Access-Control-Expose-Headers"] = hdrExposeHdrs
	}
}

// preflight answers an OPTIONS request (CORS headers already applied).
func (c cors) preflight(w http.ResponseWriter, allow []string) {
	h := w.Header()
	h["Allow"] = allow
	if h.Get("Access-Control-Allow-Origin") != "" {
		h["Access-Control-Allow-Methods"] = allow
		h["Access-Control-Allow-Headers"] = hdrAllowHdrs
		h["Access-Control-Max-Age"] = hdrMaxAge
	}
	w.WriteHeader(http.StatusNoContent)
}
