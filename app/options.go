package app

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/store"
)

// Options is everything the service needs. Zero values take the defaults
// below, which work on a laptop.
type Options struct {
	HTTPAddr   string // default 127.0.0.1:8080
	DataDir    string // default ./data (embedded NATS only)
	NATSURL    string // join this NATS cluster instead of embedding one
	NATSListen string // embedded NATS client address; "off" for in-process only. Default 127.0.0.1:4222
	// NATSClient holds credentials and TLS for NATSURL (see natsclient.go).
	NATSClient NATSClientOptions
	// SeedConfig is imported when the store holds no config yet.
	SeedConfig []byte
	// AdminToken is an admin bearer token given at start (SCHEDMGR_ADMIN_TOKEN).
	AdminToken string
	// Tokens are further tokens, stored as SHA-256 hashes.
	Tokens []api.Token
	// FailClosed makes check-schedule answer isOpen=false for unknown schedules.
	FailClosed   bool
	CORSOrigins  []string
	MaxBodyBytes int64
	// Limits bound the config documents written: schedules, rules and
	// bytes (zero fields take engine's defaults: 100,000 schedules, 20,000
	// rules, 64 MiB). The store holds documents up to Limits.DocumentBytes,
	// and request bodies carrying one may be that large. A stored version
	// over this replica's limits is still served.
	Limits engine.Limits
	// MetricsAddr serves GET /metrics, without a token, on a listener of
	// its own (e.g. 127.0.0.1:9464), and no longer on HTTPAddr. Default
	// "": /metrics is on HTTPAddr and needs a bearer token (any role)
	// unless MetricsPublic.
	MetricsAddr string
	// MetricsPublic serves /metrics on HTTPAddr without a token (the
	// behaviour before tokens were required). Not with MetricsAddr.
	MetricsPublic bool
	// MetricsMaxSchedules is the most schedules a config may have for each
	// to get series of its own in /metrics (default
	// scheduler.DefaultMetricsMaxSchedules; negative: none). Above it only
	// totals are exported.
	MetricsMaxSchedules int
	// ReconcileSpec is a robfig/cron spec for the reconcile job (default "@every 1m"; "off" disables).
	ReconcileSpec string
	// Horizon is how far ahead timelines are precomputed (default 7 days).
	Horizon time.Duration
	// ReplicaID names this replica in presence records (default host-pid).
	ReplicaID string
	// StoreReplicas is the JetStream replica count for new buckets (default 1).
	StoreReplicas   int
	ShutdownTimeout time.Duration // default 10s
	// NATSSync is when the embedded server fsyncs JetStream files:
	// "default" (its 2-minute interval), "always" (every write), or an
	// interval ("1s"). See SyncPolicy.
	NATSSync string
	// StoreCompression is when documents stored as objects (over 128 KiB)
	// are zstd-compressed: "auto" or "" (when every live replica reads
	// them), "never" (before a downgrade) or "always". See
	// store.Compression.
	StoreCompression string
	// Events configure transition events (see events.go).
	Events EventOptions
	// Webhooks configure webhook delivery (see webhooks.go).
	Webhooks WebhookOptions
	Logger   *slog.Logger
	// Stdout receives the generated admin token, printed once.
	Stdout io.Writer

	// Calendars configure calendar fetching and feeds (see calendars.go).
	Calendars CalendarOptions
}

// Defaults.
const (
	DefaultHTTPAddr      = "127.0.0.1:8080"
	DefaultDataDir       = "./data"
	DefaultNATSListen    = "127.0.0.1:4222"
	DefaultReconcileSpec = "@every 1m"
)

func (o Options) withDefaults() Options {
	if o.HTTPAddr == "" {
		o.HTTPAddr = DefaultHTTPAddr
	}
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.NATSListen == "" {
		o.NATSListen = DefaultNATSListen
	}
	if o.ReconcileSpec == "" {
		o.ReconcileSpec = DefaultReconcileSpec
	}
	if o.Horizon <= 0 {
		o.Horizon = 7 * 24 * time.Hour
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	return o
}

// Validate rejects settings that would fail later, naming the setting.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	if _, _, err := splitHostPort(o.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("http-addr: %w", err))
	}
	if o.MetricsAddr != "" {
		switch _, port, err := splitHostPort(o.MetricsAddr); {
		case err != nil:
			errs = append(errs, fmt.Errorf("metrics-addr: %w", err))
		case o.MetricsAddr == o.HTTPAddr && port != 0:
			errs = append(errs, fmt.Errorf("metrics-addr: %q is also http-addr; give metrics a port of their own, or leave metrics-addr empty to serve them on http-addr with a token", o.MetricsAddr))
		}
		if o.MetricsPublic {
			errs = append(errs, errors.New("metrics-public: metrics are served on metrics-addr, not on http-addr; set one of the two"))
		}
	}
	if o.NATSListen != "off" {
		if _, _, err := splitHostPort(o.NATSListen); err != nil {
			errs = append(errs, fmt.Errorf("nats-listen: %w (or \"off\")", err))
		}
	}
	if o.NATSURL != "" {
		for _, u := range strings.Split(o.NATSURL, ",") {
			p, err := url.Parse(strings.TrimSpace(u))
			if err != nil || p.Host == "" || (p.Scheme != "nats" && p.Scheme != "tls" && p.Scheme != "ws" && p.Scheme != "wss") {
				errs = append(errs, fmt.Errorf("nats-url: %q is not a NATS URL (nats://host:4222)", u))
			}
		}
	}
	if err := o.NATSClient.validate(o.NATSURL); err != nil {
		errs = append(errs, err)
	}
	if o.ReconcileSpec != "off" {
		if _, err := cron.ParseStandard(o.ReconcileSpec); err != nil {
			errs = append(errs, fmt.Errorf("reconcile-spec: %q: %w", o.ReconcileSpec, err))
		}
	}
	if _, _, err := ParseSync(o.NATSSync); err != nil {
		errs = append(errs, fmt.Errorf("nats-sync: %w", err))
	}
	if o.StoreCompression != "" {
		if _, err := store.ParseCompression(o.StoreCompression); err != nil {
			errs = append(errs, fmt.Errorf("store-compression: %w", err))
		}
	}
	if o.StoreReplicas < 0 || o.StoreReplicas > 5 {
		errs = append(errs, fmt.Errorf("store-replicas: must be 1 to 5, got %d", o.StoreReplicas))
	}
	for i, t := range o.Tokens {
		if t.Role != api.RoleAdmin && t.Role != api.RoleViewer && t.Role != api.RoleMetrics {
			errs = append(errs, fmt.Errorf("tokens[%d].role: %q is not admin, viewer or metrics", i, t.Role))
		}
		if len(t.SHA256) != 64 {
			errs = append(errs, fmt.Errorf("tokens[%d].sha256: want 64 hex characters (sha256sum of the token)", i))
		}
		if t.Name == "" {
			errs = append(errs, fmt.Errorf("tokens[%d].name: required", i))
		}
	}
	if err := o.Events.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := o.Webhooks.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := o.Calendars.validate(); err != nil {
		errs = append(errs, err)
	}
	if o.Limits.Schedules < 0 || o.Limits.Rules < 0 || o.Limits.DocumentBytes < 0 {
		errs = append(errs, errors.New("max-schedules, max-rules, max-document-bytes: must not be negative (0: the default)"))
	}
	if o.AdminToken != "" && len(o.AdminToken) < 16 {
		errs = append(errs, errors.New("admin token: use at least 16 characters"))
	}
	return errors.Join(errs...)
}

func splitHostPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	var p int
	if _, err := fmt.Sscanf(port, "%d", &p); err != nil || p < 0 || p > 65535 || fmt.Sprint(p) != port {
		return "", 0, fmt.Errorf("%q has an invalid port", addr)
	}
	return host, p, nil
}

// ParseSync reads a nats-sync setting: "" or "default" (the server's own
// interval, 2 minutes), "always" (fsync on every write), or an interval.
// With the default an acknowledged config write survives a process crash
// but can be lost on power loss; "always" makes it durable at the cost of
// an fsync per write (a few ms on SSDs, much more on network disks).
func ParseSync(v string) (always bool, interval time.Duration, err error) {
	switch v {
	case "", "default":
		return false, 0, nil
	case "always":
		return true, 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return false, 0, fmt.Errorf("%q is not default, always or a positive interval (1s)", v)
	}
	return false, d, nil
}
