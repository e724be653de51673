package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/store"
)

// Store is the versioned config store the refresher reads and writes with
// compare-and-swap. *store.JetStream and *store.Memory implement it.
type Store interface {
	Get(ctx context.Context) (store.Entry, error)
	Put(ctx context.Context, data []byte, expected uint64, meta store.Meta) (uint64, error)
}

// Claimer decides which replica fetches a calendar at one scheduled
// instant: Claim returns true for exactly one caller of the same key.
// *KVClaimer implements it on a JetStream key-value bucket.
type Claimer interface {
	Claim(ctx context.Context, key string) (bool, error)
}

// Defaults of Options.
const (
	DefaultTimeout = 30 * time.Second
	// Author is the author of the config versions a fetch writes.
	Author = "calendar-fetch"
	// maxCASAttempts bounds the read-modify-write loop of one fetch.
	maxCASAttempts = 16
)

// Options configure a Refresher.
type Options struct {
	// Store holds the config. Required.
	Store Store
	// Claimer, if set, makes one replica fetch each scheduled refresh (the
	// others skip it). Without it every replica fetches, and the store's
	// compare-and-swap still makes one version of one change.
	Claimer Claimer
	// AllowPrivate lets calendar URLs reach private and loopback addresses
	// (setting calendar-allow-private). Off by default: a config writer
	// must not be able to make the service probe its own network.
	AllowPrivate bool
	// Timeout bounds one download (default DefaultTimeout).
	Timeout time.Duration
	// MaxBytes bounds one calendar (default engine.MaxCalendarBytes).
	MaxBytes int64
	// Client replaces the HTTP client (tests); default NewHTTPClient.
	Client *http.Client
	// Registerer receives the metrics. Optional.
	Registerer prometheus.Registerer
	// Logger receives fetch outcomes. URLs are never logged: they may hold
	// a secret. Optional.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Status is what the last fetch of one calendar did, on this replica.
type Status struct {
	LastAttempt time.Time `json:"lastAttempt,omitzero"`
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	// LastError is the last attempt's error ("" when it succeeded), and
	// Reason its class.
	LastError string `json:"lastError,omitempty"`
	Reason    Reason `json:"reason,omitempty"`
	// Version is the config version the last changed fetch wrote.
	Version uint64 `json:"version,omitempty"`
}

// Result is the outcome of one fetch.
type Result struct {
	// Changed is true when the calendar's text changed and a new config
	// version holds it (Version).
	Changed bool   `json:"changed"`
	Version uint64 `json:"version"`
	// SHA256 is the content address of the calendar text now in the config.
	SHA256 string `json:"sha256"`
}

// Refresher fetches calendars that have a URL and writes each changed
// text into the config as a new version. Safe for concurrent use.
type Refresher struct {
	o       Options
	client  *http.Client
	log     *slog.Logger
	metrics *metrics
	mu      sync.Mutex
	status  map[string]Status
	etags   map[string]string // calendar id → ETag of the text in the config
}

// New returns a Refresher.
func New(o Options) (*Refresher, error) {
	if o.Store == nil {
		return nil, errors.New("fetch: Options.Store is required")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = engine.MaxCalendarBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Refresher{o: o, client: o.Client, log: o.Logger, status: map[string]Status{}, etags: map[string]string{}}
	if r.client == nil {
		r.client = NewHTTPClient(o.AllowPrivate, o.Timeout)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if r.metrics, err = newMetrics(o.Registerer); err != nil {
		return nil, err
	}
	return r, nil
}

// Status returns this replica's last fetch of calendar id.
func (r *Refresher) Status(id string) (Status, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.status[id]
	return s, ok
}

// Refresh fetches calendar id now and, when its text changed, writes a new
// config version with it. On any failure the config keeps the last good
// copy; the error is an *Error with its Reason (or wraps
// engine.ErrUnknownCalendar).
func (r *Refresher) Refresh(ctx context.Context, id string) (Result, error) {
	start := r.o.Now()
	res, err := r.refresh(ctx, id)
	r.record(id, start, res, err)
	return res, err
}

func (r *Refresher) refresh(ctx context.Context, id string) (Result, error) {
	head, cal, err := r.current(ctx, id)
	if err != nil {
		return Result{}, err
	}
	if cal.URL == "" {
		return Result{}, fmt.Errorf("calendar %q has no url to fetch", id)
	}
	oldHash := engine.CalendarHash(cal.ICS)
	etag := r.etag(id, oldHash)
	body, newETag, notModified, err := download(ctx, r.client, cal.URL, etag, r.o.MaxBytes)
	if err != nil {
		return Result{}, err
	}
	if notModified {
		return Result{SHA256: oldHash}, nil
	}
	text := string(body)
	if err := engine.ParseCalendar(text); err != nil {
		return Result{}, failf(ReasonMalformed, "the fetched calendar %v", err)
	}
	newHash := engine.CalendarHash(text)
	if newHash == oldHash {
		r.setETag(id, newHash, newETag)
		return Result{SHA256: newHash}, nil
	}
	// Compare-and-swap on the version read, re-read on a conflict: when
	// another replica wrote the same text meanwhile, there is nothing left
	// to do, so two replicas fetching at once make one version.
	for range maxCASAttempts {
		cal.ICS = text
		out, changed, err := engine.PutCalendar(head.Data, cal)
		if err != nil {
			return Result{}, failf(ReasonMalformed, "the fetched calendar does not fit the config: %v", err)
		}
		if !changed {
			r.setETag(id, newHash, newETag)
			return Result{SHA256: newHash}, nil
		}
		msg := fmt.Sprintf("calendar %q fetched: content changed (sha256 %s…)", id, newHash[:12])
		v, err := r.o.Store.Put(ctx, out, head.Version, store.Meta{Author: Author, Message: msg, Time: r.o.Now().UTC()})
		switch {
		case err == nil:
			r.setETag(id, newHash, newETag)
			return Result{Changed: true, Version: v, SHA256: newHash}, nil
		case !errors.Is(err, store.ErrConflict):
			return Result{}, &Error{Reason: ReasonStore, Err: fmt.Errorf("write the new version: %w", err)}
		}
		if head, cal, err = r.current(ctx, id); err != nil {
			return Result{}, err
		}
		if engine.CalendarHash(cal.ICS) == newHash {
			r.setETag(id, newHash, newETag)
			return Result{SHA256: newHash}, nil // another replica wrote it
		}
	}
	return Result{}, failf(ReasonStore, "the config kept changing; gave up after %d attempts", maxCASAttempts)
}

// current reads the latest config and calendar id in it.
func (r *Refresher) current(ctx context.Context, id string) (store.Entry, engine.CalendarDoc, error) {
	head, err := r.o.Store.Get(ctx)
	if err != nil {
		return head, engine.CalendarDoc{}, &Error{Reason: ReasonStore, Err: fmt.Errorf("read the config: %w", err)}
	}
	doc, err := engine.ParseDocument(head.Data)
	if err != nil {
		return head, engine.CalendarDoc{}, &Error{Reason: ReasonStore, Err: fmt.Errorf("read the config: %w", err)}
	}
	cal, err := engine.CalendarOf(doc, id)
	return head, cal, err
}

// etag returns the ETag remembered for the text whose hash is hash.
func (r *Refresher) etag(id, hash string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.etags[id+"\x00"+hash]
}

func (r *Refresher) setETag(id, hash, etag string) {
	if etag == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.etags[id+"\x00"+hash] = etag
}

// record updates the status and the metrics after one attempt.
func (r *Refresher) record(id string, start time.Time, res Result, err error) {
	if errors.Is(err, engine.ErrUnknownCalendar) {
		return
	}
	r.mu.Lock()
	st := r.status[id]
	st.LastAttempt = start
	var fe *Error
	switch {
	case err == nil:
		st.LastSuccess, st.LastError, st.Reason = start, "", ""
		if res.Changed {
			st.Version = res.Version
		}
	case errors.As(err, &fe):
		st.LastError, st.Reason = err.Error(), fe.Reason
	default:
		st.LastError, st.Reason = err.Error(), ReasonStore
	}
	r.status[id] = st
	r.mu.Unlock()
	r.metrics.observe(id, start, res, st.Reason, err)
	if err != nil {
		r.log.Warn("calendar fetch failed; the config keeps the last good copy", "calendar", id, "reason", string(st.Reason), "err", err)
	} else if res.Changed {
		r.log.Info("calendar fetched: new config version", "calendar", id, "version", res.Version, "sha256", res.SHA256)
	}
}

// claimKey names one scheduled refresh of calendar id: every replica
// computes the same key for the same instant. KV keys allow only a few
// characters, so the id is hashed.
func claimKey(id string, at time.Time) string {
	h := sha256.Sum256([]byte(id))
	return fmt.Sprintf("%s.%d", hex.EncodeToString(h[:8]), at.Unix())
}
