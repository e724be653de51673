package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/examples"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/store"
)

// OpenStore opens the same store whichever way it is reached: an embedded
// server on a data dir (listening or not) or a joined cluster; what one
// writes, the next open finds.
func TestOpenStore(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	cluster := natstest.Server(t)
	tests := []struct {
		name      string
		opts      StoreOptions
		listening bool // ClientURL is a nats:// URL
		empty     bool // nothing written there yet
	}{
		{"embedded, in-process only, creates the store", StoreOptions{DataDir: dir}, false, true},
		{"embedded, off", StoreOptions{DataDir: dir, NATSListen: "off", MustExist: true}, false, false},
		{"embedded, listening", StoreOptions{DataDir: dir, NATSListen: "127.0.0.1:0", MustExist: true}, true, false},
		{"joined cluster", StoreOptions{NATSURL: cluster.ClientURL()}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			tt.opts.Logger = quiet
			c, err := OpenStore(ctx, tt.opts)
			if err != nil {
				t.Fatalf("OpenStore: %v", err)
			}
			defer c.Close()
			if got := c.ClientURL(); tt.listening != strings.HasPrefix(got, "nats://") {
				t.Errorf("ClientURL() = %q, listening %v", got, tt.listening)
			}
			e, err := c.Store.Get(ctx)
			if tt.empty && !errors.Is(err, store.ErrNotFound) || !tt.empty && (err != nil || e.Version == 0) {
				t.Fatalf("Get: version %d, err %v; want empty %v", e.Version, err, tt.empty)
			}
			if _, err := c.Store.Put(ctx, examples.Default(), e.Version, store.Meta{Author: "test", Time: time.Now()}); err != nil {
				t.Fatalf("Put: %v", err)
			}
			c.Close()
			c.Close() // twice is harmless
			if !c.Conn.IsClosed() {
				t.Error("the connection is open after Close")
			}
		})
	}
}

func TestOpenStoreErrors(t *testing.T) {
	tests := []struct {
		name string
		opts StoreOptions
		want string
	}{
		{"data dir without a store", StoreOptions{DataDir: filepath.Join(t.TempDir(), "typo"), MustExist: true}, "data-dir: no store at "},
		{"bad listen address", StoreOptions{DataDir: t.TempDir(), NATSListen: "nowhere"}, "nats-listen: "},
		{"nobody at the NATS URL", StoreOptions{NATSURL: "nats://127.0.0.1:1"}, "connect to nats-url nats://127.0.0.1:1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := OpenStore(ctx, tt.opts)
			if err == nil {
				c.Close()
				t.Fatalf("OpenStore succeeded, want an error with %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
