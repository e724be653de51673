package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// connectNATS joins the configured cluster or starts an embedded server
// with JetStream on the data dir. The returned stop function closes what
// was started, connection first.
func connectNATS(ctx context.Context, o Options) (*nats.Conn, *server.Server, error) {
	name := nats.Name("schedule-manager " + o.ReplicaID)
	if o.NATSURL != "" {
		nc, err := nats.Connect(o.NATSURL, name, nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					o.Logger.Warn("nats disconnected", "err", err)
				}
			}),
			nats.ReconnectHandler(func(c *nats.Conn) { o.Logger.Info("nats reconnected", "url", c.ConnectedUrlRedacted()) }))
		if err != nil {
			return nil, nil, fmt.Errorf("connect to nats-url %s: %w", o.NATSURL, err)
		}
		return nc, nil, nil
	}
	sopts := &server.Options{
		ServerName: "schedmgr-" + o.ReplicaID,
		JetStream:  true,
		StoreDir:   filepath.Join(o.DataDir, "jetstream"),
		NoSigs:     true,
		NoLog:      true,
	}
	if o.NATSListen == "off" {
		sopts.DontListen = true
	} else {
		host, port, err := splitHostPort(o.NATSListen)
		if err != nil {
			return nil, nil, fmt.Errorf("nats-listen: %w", err)
		}
		sopts.Host, sopts.Port = host, port
		if port == 0 {
			sopts.Port = server.RANDOM_PORT
		}
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded nats: %w", err)
	}
	go srv.Start()
	deadline := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		deadline = time.Until(d)
	}
	if !srv.ReadyForConnections(deadline) {
		srv.Shutdown()
		return nil, nil, fmt.Errorf("embedded nats: not ready after %s (is %s already in use? set --nats-listen)", deadline, o.NATSListen)
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), name)
	if err != nil {
		srv.Shutdown()
		return nil, nil, fmt.Errorf("embedded nats: connect in process: %w", err)
	}
	return nc, srv, nil
}
