package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/internal/apptest"
)

const (
	adminToken  = apptest.AdminToken
	viewerToken = apptest.ViewerToken
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
	a := apptest.Start(t)
	// Runs before apptest's own shutdown, which ignores the error.
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
