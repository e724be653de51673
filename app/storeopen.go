package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/store"
)

// StoreOptions say where the config store is: in a NATS cluster to join
// (NATSURL), or in the JetStream data under DataDir, served by an embedded
// nats-server. The service (Start) and the CLI's import and export open the
// store with these, through OpenStore.
type StoreOptions struct {
	// NATSURL joins this NATS cluster (comma-separated URLs) instead of
	// starting an embedded server.
	NATSURL string
	// DataDir holds the embedded server's JetStream data, in
	// DataDir/jetstream. Default ./data.
	DataDir string
	// NATSListen is the embedded server's client address (host:port, port
	// 0 for any free one). Empty or "off": in-process connections only.
	NATSListen string
	// MustExist refuses a DataDir that holds no JetStream data yet, rather
	// than creating an empty store there: a typo in the data dir of a
	// stopped service must not look like an empty store.
	MustExist bool
	// Name tells this process apart in NATS: the connection is
	// "schedule-manager <Name>", the embedded server "schedmgr-<Name>".
	// The service uses its replica id, the CLI "cli". Default "main".
	Name string
	// Replicas is the JetStream replica count of newly created buckets.
	// Default 1.
	Replicas int
	// MaxDocumentBytes is the largest document the store accepts
	// (default engine.DefaultMaxDocumentBytes). Documents over 128 KiB go
	// to its object store.
	MaxDocumentBytes int
	// Compression is when documents stored as objects are compressed
	// (default store.CompressAuto).
	Compression store.Compression
	// Client holds the credentials and TLS settings of the connection to
	// NATSURL. The embedded server needs none: its users are generated in
	// DataDir/nats-credentials.json on first start.
	Client NATSClientOptions
	// Sync is the embedded server's fsync policy (see ParseSync).
	Sync string
	// Logger receives connection events (disconnected, reconnected) and the
	// store's warnings. Default slog.Default().
	Logger *slog.Logger
}

// StoreConn is an open config store and the NATS connection under it. Close
// it when done.
type StoreConn struct {
	// Conn is the NATS connection (in-process to an embedded server).
	Conn *nats.Conn
	// JetStream is the JetStream context on Conn, for the other buckets and
	// streams (presence, tokens, events).
	JetStream jetstream.JetStream
	// Store is the versioned config store.
	Store *store.JetStream

	srv        *server.Server   // nil when joining a cluster
	creds      *NATSCredentials // the embedded server's users; nil when joining a cluster
	listening  bool             // the embedded server accepts clients over TCP
	closed     chan struct{}    // closed when Conn is closed
	closedOnce sync.Once        // closes closed
	closeOnce  sync.Once        // runs Close once
}

// drainWait bounds how long Close waits for the connection to drain
// before closing it anyway.
const drainWait = 5 * time.Second

// OpenStore joins the NATS cluster of o.NATSURL, or starts an embedded
// nats-server with JetStream on o.DataDir, connects and opens the config
// store. The embedded server must be ready before ctx's deadline (10 s
// without one).
func OpenStore(ctx context.Context, o StoreOptions) (*StoreConn, error) {
	if o.Name == "" {
		o.Name = "main"
	}
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := &StoreConn{closed: make(chan struct{})}
	log := o.Logger
	copts := []nats.Option{
		nats.Name("schedule-manager " + o.Name),
		// No reconnect buffer: a write attempted while NATS is unreachable
		// fails at once instead of being sent after the reconnect, when
		// its caller has long been told it failed (or told nothing).
		nats.ReconnectBufSize(-1),
		nats.ClosedHandler(func(*nats.Conn) { c.closedOnce.Do(func() { close(c.closed) }) }),
	}
	var err error
	if o.NATSURL != "" {
		copts = append(copts, nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					log.Warn("nats disconnected", "err", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }))
		auth, err := o.Client.natsOptions(o.NATSURL)
		if err != nil {
			return nil, err
		}
		if c.Conn, err = nats.Connect(o.NATSURL, append(copts, auth...)...); err != nil {
			return nil, fmt.Errorf("connect to nats-url %s: %w", redactURLs(o.NATSURL), err)
		}
	} else {
		if !o.Client.isZero() {
			return nil, fmt.Errorf("%s: only with nats-url: the embedded server's users are in %s",
				strings.Join(o.Client.setNames(), ", "), NATSCredentialsPath(o.DataDir))
		}
		if c.srv, c.creds, err = startEmbedded(ctx, o); err != nil {
			return nil, err
		}
		c.listening = o.NATSListen != "" && o.NATSListen != "off"
		copts = append(copts, nats.UserInfo(c.creds.Service.User, c.creds.Service.Password))
		if c.Conn, err = nats.Connect("", append(copts, nats.InProcessServer(c.srv))...); err != nil {
			c.Close()
			return nil, fmt.Errorf("embedded nats: connect in process: %w", err)
		}
	}
	if c.JetStream, err = jetstream.New(c.Conn); err != nil {
		c.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	maxDoc := o.MaxDocumentBytes
	if maxDoc <= 0 {
		maxDoc = engine.DefaultMaxDocumentBytes
	}
	if c.Store, err = store.NewJetStream(ctx, c.JetStream, store.Options{Replicas: o.Replicas, Logger: o.Logger, MaxDocumentBytes: maxDoc,
		Compression: o.Compression}); err != nil {
		c.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return c, nil
}

// startEmbedded starts a nats-server with JetStream on o.DataDir and waits
// until it accepts connections. Nothing connects without a user: the users
// of the data dir's credentials file, generated on first start (and on the
// first start of a data dir of a version without them, whose streams are
// moved into the service's account first).
func startEmbedded(ctx context.Context, o StoreOptions) (*server.Server, *NATSCredentials, error) {
	dir := filepath.Join(o.DataDir, "jetstream")
	if o.MustExist {
		if _, err := os.Stat(dir); err != nil {
			return nil, nil, fmt.Errorf("data-dir: no store at %s: %w", dir, err)
		}
	}
	var host string
	var port int
	if o.NATSListen != "" && o.NATSListen != "off" {
		var err error
		if host, port, err = splitHostPort(o.NATSListen); err != nil {
			return nil, nil, fmt.Errorf("nats-listen: %w", err)
		}
	}
	if err := migrateGlobalAccount(dir, o.Logger); err != nil {
		return nil, nil, err
	}
	creds, created, tightened, err := loadOrCreateNATSCredentials(o.DataDir)
	if err != nil {
		return nil, nil, err
	}
	if created {
		o.Logger.Info("generated the embedded NATS server's users", "file", NATSCredentialsPath(o.DataDir),
			"reader_url", "schedule-manager nats-url --role reader")
	}
	if tightened {
		o.Logger.Warn("the NATS credentials file was readable by others; it is now mode 0600", "file", NATSCredentialsPath(o.DataDir))
	}
	sopts := &server.Options{}
	if err := sopts.ProcessConfigString(NATSAccountsConfig(*creds, quotedPasswords(creds))); err != nil {
		return nil, nil, fmt.Errorf("embedded nats: accounts: %w", err)
	}
	sopts.ServerName = "schedmgr-" + strings.ReplaceAll(o.Name, " ", "-") // no spaces in server names
	sopts.JetStream, sopts.StoreDir = true, dir
	sopts.NoSigs, sopts.NoLog = true, true
	always, interval, err := ParseSync(o.Sync)
	if err != nil {
		return nil, nil, fmt.Errorf("nats-sync: %w", err)
	}
	sopts.SyncAlways, sopts.SyncInterval = always, interval
	if o.NATSListen == "" || o.NATSListen == "off" {
		sopts.DontListen = true
	} else {
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
	wait := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		srv.WaitForShutdown()
		hint := ""
		if !sopts.DontListen {
			hint = fmt.Sprintf(" (is %s already in use? set --nats-listen)", o.NATSListen)
		}
		return nil, nil, errors.New("embedded nats: not ready after " + wait.Round(time.Millisecond).String() + hint)
	}
	return srv, creds, nil
}

// ClientURL returns the embedded server's client URL, or "" when it
// accepts in-process connections only or when the store is in a joined
// cluster.
func (c *StoreConn) ClientURL() string {
	if c.srv == nil || !c.listening {
		return ""
	}
	return c.srv.ClientURL()
}

// Credentials returns the embedded server's users, or nil when the store
// is in a joined cluster.
func (c *StoreConn) Credentials() *NATSCredentials { return c.creds }

// ClientURLFor returns the embedded server's client URL with the user and
// password of role r in it, for subscribers and tools. It fails when the
// server accepts in-process connections only or the store is in a joined
// cluster (whose users are the cluster's).
func (c *StoreConn) ClientURLFor(r NATSRole) (string, error) {
	if c.srv == nil {
		return "", errors.New("the store is in a joined NATS cluster: its users are the cluster's")
	}
	if !c.listening {
		return "", errors.New("the embedded NATS server does not listen (nats-listen off)")
	}
	addr := c.srv.Addr()
	if addr == nil {
		return "", errors.New("the embedded NATS server has no client address")
	}
	return c.creds.URL(r, addr.String())
}

// Close drains the connection (pending publishes are flushed), then stops
// the embedded server, if any. It is safe to call more than once.
func (c *StoreConn) Close() {
	c.closeOnce.Do(func() {
		if c.Conn != nil {
			if err := c.Conn.Drain(); err != nil {
				c.Conn.Close()
			}
			select {
			case <-c.closed:
			case <-time.After(drainWait):
				c.Conn.Close()
			}
		}
		if c.srv != nil {
			c.srv.Shutdown()
			c.srv.WaitForShutdown()
		}
	})
}

// storeOptions are the store options of the service's options o (with
// defaults applied).
func (o Options) storeOptions() StoreOptions {
	return StoreOptions{NATSURL: o.NATSURL, DataDir: o.DataDir, NATSListen: o.NATSListen, Name: o.ReplicaID,
		Replicas: o.StoreReplicas, Client: o.NATSClient, Sync: o.NATSSync, Logger: o.Logger,
		MaxDocumentBytes: o.Limits.WithDefaults().DocumentBytes, Compression: o.storeCompression()}
}

// storeCompression is o.StoreCompression parsed (validate has refused a
// value that does not parse; "" is auto).
func (o Options) storeCompression() store.Compression {
	c, _ := store.ParseCompression(o.StoreCompression)
	return c
}
