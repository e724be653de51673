package api

import (
	"net/http"
)

// metricsRoute guards GET /metrics. Gathering every metric costs far more
// than a check-schedule answer (8 anonymous clients fetching it in a loop
// cut check-schedule's throughput to a fifth or less, see bench/loadtest),
// and the series name schedules and webhook endpoints, so by default a
// bearer token of any role is required; an anonymous request is refused
// before anything is gathered. public serves it to anyone (for a listener
// only trusted networks reach). Without a handler (nil: the application
// serves metrics on a listener of their own, or not at all) the route
// answers 404 with a message that says so.
func (s *Server) metricsRoute(h http.Handler, public bool) http.Handler {
	if h == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusNotFound, "metrics are not served on this listener; scrape the metrics listener (setting metrics-addr)")
		})
	}
	if public {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.auth.authenticate(r); !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="schedule-manager"`)
			writeError(w, http.StatusUnauthorized, "GET /metrics needs a bearer token (role metrics, viewer or admin), "+
				"or a metrics listener of its own (setting metrics-addr)")
			return
		}
		h.ServeHTTP(w, r)
	})
}
