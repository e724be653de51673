package client_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/examples"
)

const (
	adminToken  = "0123456789abcdef0123"
	viewerToken = "viewer-token-0123456789"
)

// service is the real service started in-process.
type service struct {
	app  *app.App
	base string
}

// startService starts the service on free ports with the example config
// seeded, an admin token and a viewer token.
func startService(t *testing.T) *service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Options{
		HTTPAddr:   "127.0.0.1:0",
		DataDir:    t.TempDir(),
		NATSListen: "127.0.0.1:0",
		SeedConfig: examples.Default(),
		AdminToken: adminToken,
		Tokens:     []api.Token{{Name: "viewer", Role: api.RoleViewer, SHA256: api.HashToken(viewerToken)}},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("start the service: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &service{app: a, base: "http://" + a.HTTPAddr()}
}

// client returns a client of the service with the given token ("" for
// none) and options.
func (s *service) client(t *testing.T, token string, opts ...client.Option) *client.Client {
	t.Helper()
	if token != "" {
		opts = append([]client.Option{client.WithToken(token)}, opts...)
	}
	c, err := client.New(s.base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
