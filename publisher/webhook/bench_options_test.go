package webhook

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// benchOptions are the service's defaults, with loopback receivers
// allowed.
func benchOptions(tb testing.TB, eps ...Endpoint) Options {
	return Options{Endpoints: eps, AllowPrivate: true, Registerer: prometheus.NewRegistry(), Logger: testLogger(tb)}
}
