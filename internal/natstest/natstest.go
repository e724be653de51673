// Package natstest runs in-process nats-servers with JetStream for tests
// and connects to them.
//
// It is imported only by tests, but is an ordinary package so that tests
// of several packages (and package-internal tests) can share it:
//
//	srv := natstest.Server(t)
//	nc, js := natstest.Connect(t, srv.ClientURL())
//
// Everything started is stopped in t.Cleanup.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// readyTimeout is how long Server waits for a server to accept
// connections.
const readyTimeout = 20 * time.Second

// Server starts an in-process nats-server with JetStream, listening on a
// random loopback port, with its store in a fresh temporary directory and
// without logs or signal handlers. The options opts change, in order,
// before the server is created (StoreDir keeps a store across restarts).
// The server is shut down at the end of the test.
func Server(t testing.TB, opts ...func(*server.Options)) *server.Server {
	t.Helper()
	o := &server.Options{
		Host: "127.0.0.1", Port: -1,
		JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true,
	}
	for _, opt := range opts {
		opt(o)
	}
	srv, err := server.NewServer(o)
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	go srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if !srv.ReadyForConnections(readyTimeout) {
		t.Fatalf("nats-server %s not ready within %s", o.ServerName, readyTimeout)
	}
	return srv
}

// StoreDir is a Server option that keeps the JetStream store in dir, so
// that a server started again on dir finds what the previous one stored.
func StoreDir(dir string) func(*server.Options) {
	return func(o *server.Options) { o.StoreDir = dir }
}

// Connect connects to url (one URL or a comma-separated list) with the
// given connection options and returns the connection and a JetStream
// context on it. The connection is closed at the end of the test.
func Connect(t testing.TB, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// Reconnect is a Connect option for tests that stop, restart or lose
// servers: the connection reconnects for ever, every 100 ms (as
// nats.MaxReconnects(-1) and nats.ReconnectWait(100*time.Millisecond)).
func Reconnect(o *nats.Options) error {
	o.MaxReconnect = -1
	o.ReconnectWait = 100 * time.Millisecond
	return nil
}
