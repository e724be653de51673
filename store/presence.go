package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ReplicaStatus is one live replica's latest announcement.
type ReplicaStatus struct {
	// ID identifies the replica (host name, pod name, ...).
	ID string `json:"id"`
	// Version is the config version the replica serves.
	Version uint64 `json:"version"`
	// Seen is when the announcement was stored, by the NATS server's clock.
	Seen time.Time `json:"seen"`
	// Encodings are the stored-document encodings the replica reads
	// ("zstd"); a replica of a release before compression announces none.
	Encodings []string `json:"encodings,omitempty"`
}

// Presence records which config version each service replica serves, in a
// KV bucket "<prefix>_replicas" whose entries expire after
// Options.PresenceTTL unless refreshed. Callers Announce every few seconds
// (well under the TTL). It is safe for concurrent use.
type Presence struct {
	js  jetstream.JetStream
	cfg jetstream.KeyValueConfig

	mu  sync.Mutex
	kv  jetstream.KeyValue
	ttl time.Duration
}

type announcement struct {
	Version   uint64   `json:"version"`
	Encodings []string `json:"encodings,omitempty"`
}

// NewPresence creates the replicas bucket, or updates its TTL to
// opts.PresenceTTL if it exists. The bucket is in memory: announcements are
// ephemeral and replicas re-announce after a server restart.
func NewPresence(ctx context.Context, js jetstream.JetStream, opts Options) (*Presence, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Presence{js: js, ttl: o.PresenceTTL, cfg: jetstream.KeyValueConfig{
		Bucket:      o.Prefix + "_replicas",
		Description: "Schedule Manager replicas and the config version each serves",
		History:     1,
		TTL:         o.PresenceTTL,
		Replicas:    o.Replicas,
		Storage:     jetstream.MemoryStorage,
	}}
	if _, err := p.bucket(ctx, true); err != nil {
		return nil, err
	}
	return p, nil
}

// bucket returns the replicas bucket, creating it again when fresh is set:
// it is kept in memory, so a restart of the NATS servers loses it, and
// every replica must then bring it back rather than announce into nothing.
func (p *Presence) bucket(ctx context.Context, fresh bool) (jetstream.KeyValue, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kv != nil && !fresh {
		return p.kv, nil
	}
	kv, err := p.js.CreateOrUpdateKeyValue(ctx, p.cfg)
	if err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", p.cfg.Bucket, err)
	}
	p.kv = kv
	return kv, nil
}

// gone reports whether err says the bucket's stream no longer exists.
func gone(err error) bool {
	return errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) ||
		errors.Is(err, jetstream.ErrNoStreamResponse)
}

// TTL returns how long an announcement lives without a refresh.
func (p *Presence) TTL() time.Duration { return p.ttl }

// Announce records that replica replicaID serves servedVersion. The ID must
// be a valid KV key (letters, digits, '-', '_', '=', '/', '.'; no leading or
// trailing '.').
func (p *Presence) Announce(ctx context.Context, replicaID string, servedVersion uint64) error {
	val, err := json.Marshal(announcement{Version: servedVersion, Encodings: readEncodings()})
	if err != nil {
		return fmt.Errorf("store: announce %q: %w", replicaID, err)
	}
	kv, err := p.bucket(ctx, false)
	if err != nil {
		return fmt.Errorf("store: announce %q: %w", replicaID, err)
	}
	_, err = kv.Put(ctx, replicaID, val)
	if gone(err) {
		if kv, err = p.bucket(ctx, true); err == nil {
			_, err = kv.Put(ctx, replicaID, val)
		}
	}
	if err != nil {
		return fmt.Errorf("store: announce %q: %w", replicaID, err)
	}
	return nil
}

// Withdraw removes replicaID's announcement at once, for a graceful
// shutdown; without it the entry disappears after the TTL.
func (p *Presence) Withdraw(ctx context.Context, replicaID string) error {
	kv, err := p.bucket(ctx, false)
	if err != nil {
		return fmt.Errorf("store: withdraw %q: %w", replicaID, err)
	}
	if err := kv.Delete(ctx, replicaID); err != nil && !gone(err) {
		return fmt.Errorf("store: withdraw %q: %w", replicaID, err)
	}
	return nil
}

// listAttempt bounds one listing of the replicas bucket. A KV watch can
// miss its end-of-initial-values marker when an announcement expires
// while the watch starts (seen under load: the listing then waits for its
// context, for ever without a deadline); a new watch does not.
const listAttempt = 2 * time.Second

// Replicas lists the replicas whose announcement has not expired, sorted
// by ID.
func (p *Presence) Replicas(ctx context.Context) ([]ReplicaStatus, error) {
	kv, err := p.bucket(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("store: list replicas: %w", err)
	}
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, listAttempt)
		out, err := listReplicas(actx, kv)
		cancel()
		if err == nil || ctx.Err() != nil || attempt == 3 {
			return out, err
		}
	}
}

// listReplicas reads every announcement of kv once.
func listReplicas(ctx context.Context, kv jetstream.KeyValue) ([]ReplicaStatus, error) {
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("store: list replicas: %w", err)
	}
	defer stopWatcher(w)
	var out []ReplicaStatus
	for {
		var kve jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("store: list replicas: %w", ctx.Err())
		case kve, ok = <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("store: list replicas: watcher closed")
			}
		}
		if kve == nil {
			break
		}
		var a announcement
		if err := json.Unmarshal(kve.Value(), &a); err != nil {
			continue // not ours; ignore
		}
		out = append(out, ReplicaStatus{ID: kve.Key(), Version: a.Version, Seen: kve.Created(), Encodings: a.Encodings})
	}
	slices.SortFunc(out, func(a, b ReplicaStatus) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
