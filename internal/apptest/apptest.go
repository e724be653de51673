// Package apptest starts the whole service in-process for tests.
//
// It is imported only by tests, but is an ordinary package so that tests
// of several packages can share it:
//
//	a := apptest.Start(t)
//	base := "http://" + a.HTTPAddr()
//
// The app package's own tests cannot use it (apptest imports app).
package apptest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/examples"
)

// Tokens of the service Options describes.
const (
	AdminToken  = "0123456789abcdef0123"
	ViewerToken = "viewer-token-0123456789" // of the token named "viewer"
)

// startTimeout bounds app.Start.
const startTimeout = 60 * time.Second

// Options returns the options of a test service: HTTP and embedded NATS
// on free loopback ports, a fresh temporary data directory,
// examples/default.json as the seed config, AdminToken as the admin token
// plus ViewerToken as a viewer token, and no logs.
func Options(t testing.TB) app.Options {
	return app.Options{
		HTTPAddr:   "127.0.0.1:0",
		DataDir:    t.TempDir(),
		NATSListen: "127.0.0.1:0",
		SeedConfig: examples.Default(),
		AdminToken: AdminToken,
		Tokens:     []api.Token{{Name: "viewer", Role: api.RoleViewer, SHA256: api.HashToken(ViewerToken)}},
		Logger:     slog.New(slog.DiscardHandler),
	}
}

// Start starts the service with Options(t), changed by mod in order, and
// fails the test if it does not start within a minute. The service is
// shut down at the end of the test; a shutdown error is ignored (a test
// that checks it calls Shutdown itself: later calls return the same
// error).
func Start(t testing.TB, mod ...func(*app.Options)) *app.App {
	t.Helper()
	o := Options(t)
	for _, m := range mod {
		m(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	a, err := app.Start(ctx, o)
	if err != nil {
		t.Fatalf("start the service: %v", err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	return a
}
