package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/publisher/webhook"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// settings is the serve command's configuration, filled by koanf from a YAML
// file, then SCHEDMGR_* environment variables, then flags (each overriding
// the one before).
type settings struct {
	HTTPAddr        string        `koanf:"http-addr"`
	DataDir         string        `koanf:"data-dir"`
	NATSURL         string        `koanf:"nats-url"`
	NATSListen      string        `koanf:"nats-listen"`
	NATSCreds       string        `koanf:"nats-creds"`
	NATSNKey        string        `koanf:"nats-nkey"`
	NATSUser        string        `koanf:"nats-user"`
	NATSPassword    string        `koanf:"nats-password"`
	NATSPassFile    string        `koanf:"nats-password-file"`
	NATSTLSCA       string        `koanf:"nats-tls-ca"`
	NATSTLSCert     string        `koanf:"nats-tls-cert"`
	NATSTLSKey      string        `koanf:"nats-tls-key"`
	SeedConfig      string        `koanf:"seed-config"`
	AdminToken      string        `koanf:"admin-token"`
	Tokens          []tokenConfig `koanf:"tokens"`
	FailClosed      bool          `koanf:"fail-closed"`
	CORSOrigins     []string      `koanf:"cors-origins"`
	MaxBodyBytes    int64         `koanf:"max-body-bytes"`
	MaxSchedules    int           `koanf:"max-schedules"`
	MaxRules        int           `koanf:"max-rules"`
	MaxDocBytes     int           `koanf:"max-document-bytes"`
	ReconcileSpec   string        `koanf:"reconcile-spec"`
	Horizon         time.Duration `koanf:"horizon"`
	ReplicaID       string        `koanf:"replica-id"`
	StoreReplicas   int           `koanf:"store-replicas"`
	ShutdownTimeout time.Duration `koanf:"shutdown-timeout"`
	LogLevel        string        `koanf:"log-level"`
	LogFormat       string        `koanf:"log-format"`

	MetricsAddr    string `koanf:"metrics-addr"`
	MetricsPublic  bool   `koanf:"metrics-public"`
	SSEMaxClients  int    `koanf:"sse-max-clients"`
	SSEMaxPerToken int    `koanf:"sse-max-per-token"`

	EventsDisabled      bool          `koanf:"events-disabled"`
	EventSource         string        `koanf:"event-source"`
	EventRetention      time.Duration `koanf:"event-retention"`
	EventDuplicates     time.Duration `koanf:"event-duplicates"`
	EventMaxBytes       int64         `koanf:"event-max-bytes"`
	NATSSync            string        `koanf:"nats-sync"`
	StoreCompression    string        `koanf:"store-compression"`
	MetricsMaxSchedules int           `koanf:"metrics-max-schedules"`
	SnapshotSpec        string        `koanf:"snapshot-spec"`

	WebhooksDisabled      bool            `koanf:"webhooks-disabled"`
	WebhookConcurrency    int             `koanf:"webhook-concurrency"`
	WebhookMaxDeliver     int             `koanf:"webhook-max-deliver"`
	WebhookAttemptTimeout time.Duration   `koanf:"webhook-attempt-timeout"`
	WebhookBackoffBase    time.Duration   `koanf:"webhook-backoff-base"`
	WebhookBackoffMax     time.Duration   `koanf:"webhook-backoff-max"`
	WebhookRetryFor       time.Duration   `koanf:"webhook-retry-for"`
	WebhookAllowPrivate   bool            `koanf:"webhook-allow-private"`
	WebhookAckWait        time.Duration   `koanf:"webhook-ack-wait"`
	Webhooks              []webhookConfig `koanf:"webhooks"`

	CalendarFetchDisabled bool          `koanf:"calendar-fetch-disabled"`
	CalendarAllowPrivate  bool          `koanf:"calendar-allow-private"`
	CalendarFetchTimeout  time.Duration `koanf:"calendar-fetch-timeout"`
}

// webhookConfig is one endpoint in the settings file. Secret may be
// "env:NAME" to read it from an environment variable (e.g. a Kubernetes
// Secret), so the file itself can be committed.
type webhookConfig struct {
	ID        string   `koanf:"id"`
	URL       string   `koanf:"url"`
	Secret    string   `koanf:"secret"`
	Schedules []string `koanf:"schedules"`
	Types     []string `koanf:"types"`
}

type tokenConfig struct {
	Name   string `koanf:"name"`
	Role   string `koanf:"role"`
	SHA256 string `koanf:"sha256"`
}

// settingsFlag names the settings file (SCHEDMGR_SETTINGS in the
// environment). It is not itself a setting.
const settingsFlag = "settings"

// nonFlagSettings are the settings without a flag, each with whether a
// SCHEDMGR_* variable may set it. Every other setting is a flag of
// addServeFlags, so a new setting is one flag (and its field in settings):
// the keys the file and the environment accept derive from the flag set.
// admin-token and nats-password have no flag because ps would show them;
// tokens and webhooks are lists of objects, which only a settings file
// holds.
var nonFlagSettings = map[string]bool{
	"admin-token":   true,
	"nats-password": true,
	"tokens":        false,
	"webhooks":      false,
}

// tokenEnv is where the CLI's client commands (--server) find their bearer
// token.
const tokenEnv = "SCHEDMGR_TOKEN"

// clientEnv are the SCHEDMGR_* variables of the CLI's client commands. They
// are not serve settings, and serve ignores them, so that one environment
// (a shared env file, a shell profile) can hold both.
var clientEnv = []string{tokenEnv}

// knownSettings returns the keys a settings file may set, each with whether
// a SCHEDMGR_* variable may set it too: every flag of fs but --settings, and
// nonFlagSettings.
func knownSettings(fs *pflag.FlagSet) map[string]bool {
	known := maps.Clone(nonFlagSettings)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != settingsFlag {
			known[f.Name] = true
		}
	})
	return known
}

// envName is the environment variable of setting key: SCHEDMGR_HTTP_ADDR
// for http-addr.
func envName(key string) string {
	return "SCHEDMGR_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// envKey is the setting key of environment variable name (prefix
// SCHEDMGR_ included): http-addr for SCHEDMGR_HTTP_ADDR.
func envKey(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, "SCHEDMGR_")), "_", "-")
}

func addServeFlags(fs *pflag.FlagSet) {
	fs.String(settingsFlag, "", "YAML settings file: keys as the flag names, plus admin-token, tokens and webhooks")
	fs.String("http-addr", app.DefaultHTTPAddr, "HTTP listen address for the API, UI and metrics")
	fs.String("data-dir", app.DefaultDataDir, "where the embedded NATS server keeps JetStream data")
	fs.String("nats-url", "", "join this NATS cluster (comma-separated URLs) instead of embedding a server")
	fs.String("nats-listen", app.DefaultNATSListen, "client address of the embedded NATS server, or \"off\"")
	addNATSClientFlags(fs)
	fs.String("seed-config", "", "config file imported when the store has no config yet (default: the bundled example)")
	fs.Bool("fail-closed", false, "answer isOpen=false (not true) for unknown schedules")
	fs.StringSlice("cors-origins", []string{"*"}, "origins allowed to call check-schedule from a browser")
	fs.Int64("max-body-bytes", 4<<20, "largest accepted request body (bodies carrying a config document: max-document-bytes)")
	fs.Int("max-schedules", engine.DefaultMaxSchedules, "most schedules a config document may have")
	fs.Int("max-rules", engine.DefaultMaxRules, "most rules a config document may have")
	fs.Int("max-document-bytes", engine.DefaultMaxDocumentBytes, "largest config document, in bytes (stored, and accepted in a request)")
	fs.String("reconcile-spec", app.DefaultReconcileSpec, "cron spec of the reconcile job, or \"off\"")
	fs.Duration("horizon", 7*24*time.Hour, "how far ahead timelines are precomputed")
	fs.String("replica-id", "", "name of this replica (default host-pid)")
	fs.Int("store-replicas", 1, "JetStream replicas for new buckets (3 on a 3-node cluster)")
	fs.String("store-compression", "auto", "zstd-compress stored documents over 128 KiB: \"auto\" (once every live replica reads them: safe in a rolling upgrade), \"never\" (set it and publish once before downgrading to a release that cannot read them) or \"always\"")
	fs.Duration("shutdown-timeout", 10*time.Second, "how long shutdown waits for in-flight requests")
	fs.String("log-level", "info", "debug, info, warn or error")
	fs.String("log-format", "text", "text or json")
	fs.String("metrics-addr", "", "serve GET /metrics without a token on this address of its own (e.g. 127.0.0.1:9464) instead of on http-addr")
	fs.Int("metrics-max-schedules", scheduler.DefaultMetricsMaxSchedules, "most schedules a config may have for each to get series of its own in /metrics (above it: totals only; 0: never)")
	fs.Bool("metrics-public", false, "serve /metrics on http-addr without a token (by default it needs one of any role)")
	fs.Int("sse-max-clients", api.DefaultSSEMaxClients, "most event streams (GET /api/v1/events) open at once")
	fs.Int("sse-max-per-token", api.DefaultSSEMaxPerToken, "most event streams open at once with one token")
	fs.Bool("events-disabled", false, "do not publish transition events (nor serve /api/v1/events)")
	fs.String("event-source", "schedule-manager", "CloudEvents source attribute")
	fs.Duration("event-retention", 0, "how long the events stream keeps events (unset: 168h for a new stream; an existing stream keeps its value, operator edits included)")
	fs.Duration("event-duplicates", 0, "de-duplication window of the events stream (unset: 2m for a new stream; an existing one keeps its value)")
	fs.Int64("event-max-bytes", 0, "largest size of the events stream in bytes, oldest events dropped first; -1 unlimited (unset: unlimited for a new stream; an existing one keeps its value)")
	fs.String("nats-sync", "default", "embedded NATS: when JetStream fsyncs its files: \"default\" (every 2 minutes: an acknowledged write can be lost on power loss, not on a process crash), \"always\" (every write: survives power loss, costs latency), or an interval such as 1s")
	fs.String("snapshot-spec", "off", "cron spec of the status snapshot on schedmgr.snapshot (e.g. @every 5m), or off")
	fs.Bool("webhooks-disabled", false, "do not deliver webhooks (nor serve their admin API)")
	fs.Int("webhook-concurrency", webhook.DefaultConcurrency, "webhook attempts in flight per endpoint (events of one schedule never together)")
	fs.Int("webhook-max-deliver", 0, "if positive, attempts before an event is dead-lettered (else webhook-retry-for alone bounds them)")
	fs.Duration("webhook-attempt-timeout", webhook.DefaultAttemptTimeout, "timeout of one webhook POST")
	fs.Duration("webhook-backoff-base", webhook.DefaultBackoffBase, "delay after the first failed attempt (doubles each time)")
	fs.Duration("webhook-backoff-max", webhook.DefaultBackoffMax, "longest delay between attempts")
	fs.Duration("webhook-retry-for", webhook.DefaultRetryFor, "how long a failing event is retried before it is dead-lettered")
	fs.Bool("webhook-allow-private", false, "let webhooks target loopback, private, link-local and metadata addresses (local development, tests)")
	fs.Duration("webhook-ack-wait", webhook.DefaultAckWait, "how long a replica's webhook events stay assigned to it without news (another replica takes over a dead one about this much later)")
	fs.Bool("calendar-fetch-disabled", false, "do not fetch calendars by URL (calendars in the config still apply)")
	fs.Bool("calendar-allow-private", false, "let calendar URLs reach private and loopback addresses")
	fs.Duration("calendar-fetch-timeout", 30*time.Second, "timeout of one calendar download")
}

// loadSettings merges file, environment and flags. environ is os.Environ in
// production and a fixed list in tests. A key of the file or a SCHEDMGR_*
// variable that is no setting stops it, with a suggestion for a misspelling;
// the variables of the CLI's client commands (clientEnv) are ignored.
func loadSettings(fs *pflag.FlagSet, environ func() []string) (settings, error) {
	known := knownSettings(fs)
	k := koanf.New(".")
	path, _ := fs.GetString(settingsFlag)
	if path == "" {
		for _, kv := range environ() {
			if v, ok := strings.CutPrefix(kv, envName(settingsFlag)+"="); ok {
				path = v
			}
		}
	}
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return settings{}, fmt.Errorf("settings file %s: %w", path, err)
		}
		if err := unknownKeys(k, known, "settings file "+path); err != nil {
			return settings{}, err
		}
	}
	var unknown, fileOnly []string
	envProvider := env.Provider(".", env.Opt{
		Prefix:      "SCHEDMGR_",
		EnvironFunc: environ,
		TransformFunc: func(name, value string) (string, any) {
			key := envKey(name)
			if key == settingsFlag || slices.Contains(clientEnv, name) {
				return "", nil
			}
			envOK, ok := known[key]
			switch {
			case !ok:
				unknown = append(unknown, name)
				return "", nil
			case !envOK:
				fileOnly = append(fileOnly, name)
				return "", nil
			}
			if f := fs.Lookup(key); f != nil {
				if _, ok := f.Value.(pflag.SliceValue); ok {
					return key, strings.Split(value, ",")
				}
			}
			return key, value
		},
	})
	if err := k.Load(envProvider, nil); err != nil {
		return settings{}, fmt.Errorf("environment: %w", err)
	}
	if err := envErrors(unknown, fileOnly, known); err != nil {
		return settings{}, err
	}
	if err := k.Load(posflag.Provider(fs, ".", k), nil); err != nil {
		return settings{}, fmt.Errorf("flags: %w", err)
	}
	var s settings
	if err := k.UnmarshalWithConf("", &s, koanf.UnmarshalConf{Tag: "koanf", FlatPaths: false}); err != nil {
		return settings{}, fmt.Errorf("settings: %w", err)
	}
	return s, nil
}

// unknownKeys rejects the keys of k that are not known settings, naming
// each with the closest known key when one is close.
func unknownKeys(k *koanf.Koanf, known map[string]bool, where string) error {
	candidates := slices.Sorted(maps.Keys(known))
	var bad []string
	for _, key := range k.Keys() {
		top, _, _ := strings.Cut(key, ".")
		if _, ok := known[top]; ok {
			continue
		}
		if s := didYouMean(top, candidates); s != "" {
			key += " (did you mean " + s + "?)"
		}
		bad = append(bad, key)
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	noun := "setting"
	if len(bad) > 1 {
		noun = "settings"
	}
	return fmt.Errorf("%s: unknown %s %s; the keys are the flag names of serve, admin-token, tokens and webhooks",
		where, noun, strings.Join(bad, ", "))
}

// envErrors reports SCHEDMGR_* variables that are no setting (unknown),
// with the closest variable when one is close, and variables of settings
// that only a settings file can hold (fileOnly).
func envErrors(unknown, fileOnly []string, known map[string]bool) error {
	var errs []error
	if len(unknown) > 0 {
		// Compared as keys (http-addr), without the common prefix.
		var candidates, envOnly []string
		for key, envOK := range known {
			if envOK {
				candidates = append(candidates, key)
			}
		}
		for key, envOK := range nonFlagSettings {
			if envOK {
				envOnly = append(envOnly, envName(key))
			}
		}
		for _, name := range clientEnv {
			candidates = append(candidates, envKey(name))
		}
		slices.Sort(candidates)
		slices.Sort(envOnly)
		sort.Strings(unknown)
		for i, name := range unknown {
			if s := didYouMean(envKey(name), candidates); s != "" {
				unknown[i] += " (did you mean " + envName(s) + "?)"
			}
		}
		noun := "variable"
		if len(unknown) > 1 {
			noun = "variables"
		}
		errs = append(errs, fmt.Errorf("unknown environment %s %s: serve reads SCHEDMGR_ + a flag name in upper case "+
			"(SCHEDMGR_HTTP_ADDR for --http-addr), %s and SCHEDMGR_SETTINGS, and ignores %s of the CLI's --server commands",
			noun, strings.Join(unknown, ", "), strings.Join(envOnly, ", "), strings.Join(clientEnv, ", ")))
	}
	sort.Strings(fileOnly)
	for _, name := range fileOnly {
		errs = append(errs, fmt.Errorf("%s: %s can only be set in a settings file (--settings)", name, envKey(name)))
	}
	return errors.Join(errs...)
}

// didYouMean returns the candidate closest to s when it is close enough to
// be a misspelling (a few edits, fewer for short words), or "".
func didYouMean(s string, candidates []string) string {
	best, bestD := "", min(3, max(1, len(s)/3))+1
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// metricsMaxSchedules maps the setting, where 0 means no series per
// schedule, to app.Options, where 0 means the default.
func metricsMaxSchedules(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// options turns settings into the app's typed options.
func (s settings) options() (app.Options, error) {
	o := app.Options{
		HTTPAddr: s.HTTPAddr, DataDir: s.DataDir, NATSURL: s.NATSURL, NATSListen: s.NATSListen,
		NATSClient: s.natsClient(),
		AdminToken: s.AdminToken, FailClosed: s.FailClosed, CORSOrigins: s.CORSOrigins,
		MaxBodyBytes: s.MaxBodyBytes, ReconcileSpec: s.ReconcileSpec, Horizon: s.Horizon,
		ReplicaID: s.ReplicaID, StoreReplicas: s.StoreReplicas, ShutdownTimeout: s.ShutdownTimeout,
		MetricsAddr: s.MetricsAddr, MetricsPublic: s.MetricsPublic, NATSSync: s.NATSSync,
		StoreCompression: s.StoreCompression, MetricsMaxSchedules: metricsMaxSchedules(s.MetricsMaxSchedules),
		Limits: engine.Limits{Schedules: s.MaxSchedules, Rules: s.MaxRules, DocumentBytes: s.MaxDocBytes},
	}
	o.Events = app.EventOptions{Disabled: s.EventsDisabled, Source: s.EventSource, MaxAge: s.EventRetention,
		Duplicates: s.EventDuplicates, MaxBytes: s.EventMaxBytes, SnapshotSpec: s.SnapshotSpec,
		SSEMaxClients: s.SSEMaxClients, SSEMaxPerToken: s.SSEMaxPerToken}
	o.Webhooks = app.WebhookOptions{Disabled: s.WebhooksDisabled, Concurrency: s.WebhookConcurrency, MaxDeliver: s.WebhookMaxDeliver,
		AttemptTimeout: s.WebhookAttemptTimeout, BackoffBase: s.WebhookBackoffBase, BackoffMax: s.WebhookBackoffMax,
		RetryFor: s.WebhookRetryFor, AllowPrivate: s.WebhookAllowPrivate, AckWait: s.WebhookAckWait}
	o.Calendars = app.CalendarOptions{FetchDisabled: s.CalendarFetchDisabled, AllowPrivate: s.CalendarAllowPrivate,
		FetchTimeout: s.CalendarFetchTimeout}
	for i, w := range s.Webhooks {
		secret := w.Secret
		if name, ok := strings.CutPrefix(secret, "env:"); ok {
			secret = os.Getenv(name)
			if secret == "" {
				return o, fmt.Errorf("webhooks[%d].secret: environment variable %s is empty or unset", i, name)
			}
		}
		o.Webhooks.Endpoints = append(o.Webhooks.Endpoints, webhook.Endpoint{ID: w.ID, URL: w.URL, Secret: secret,
			Schedules: w.Schedules, Types: w.Types})
	}
	for _, t := range s.Tokens {
		o.Tokens = append(o.Tokens, api.Token{Name: t.Name, Role: t.Role, SHA256: strings.ToLower(t.SHA256)})
	}
	if s.SeedConfig != "" {
		data, err := os.ReadFile(s.SeedConfig)
		if err != nil {
			return o, fmt.Errorf("seed-config: %w", err)
		}
		o.SeedConfig = data
	}
	if s.MaxBodyBytes <= 0 {
		return o, errors.New("max-body-bytes: must be positive")
	}
	for _, l := range []struct {
		name string
		v    int
	}{{"max-schedules", s.MaxSchedules}, {"max-rules", s.MaxRules}, {"max-document-bytes", s.MaxDocBytes}} {
		if l.v <= 0 {
			return o, fmt.Errorf("%s: must be positive, got %d", l.name, l.v)
		}
	}
	return o, o.Validate()
}
