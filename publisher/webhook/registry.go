package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Registry errors.
var (
	ErrNotFound = errors.New("webhook: no such endpoint")
	ErrExists   = errors.New("webhook: an endpoint with this id exists")
	// ErrNoDeadLetter: the endpoint has no dead letter of that sequence
	// (redelivered or discarded already).
	ErrNoDeadLetter = errors.New("webhook: no such dead letter")
)

// registry keeps the endpoints created through the admin API in a KV
// bucket, so that every replica delivers to them.
type registry struct {
	kv jetstream.KeyValue
}

// record is the stored form of an API endpoint. Unlike Endpoint it
// carries the secret in JSON: the bucket is the only place it is kept.
type record struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Secret    string    `json:"secret"`
	Schedules []string  `json:"schedules,omitempty"`
	Types     []string  `json:"types,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy,omitempty"`
}

func (r record) endpoint() Endpoint {
	return Endpoint{ID: r.ID, URL: r.URL, Secret: r.Secret, Schedules: r.Schedules, Types: r.Types,
		Source: SourceAPI, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}
}

func toRecord(e Endpoint) record {
	return record{ID: e.ID, URL: e.URL, Secret: e.Secret, Schedules: e.Schedules, Types: e.Types,
		CreatedAt: e.CreatedAt, CreatedBy: e.CreatedBy}
}

// openRegistry binds or creates the bucket.
func openRegistry(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*registry, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      bucket,
			Description: "Schedule Manager webhook endpoints created through the admin API",
			History:     5,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, bucket) // another replica created it first
		}
	}
	if err != nil {
		return nil, fmt.Errorf("webhook bucket %s: %w", bucket, err)
	}
	return &registry{kv: kv}, nil
}

// create stores a new endpoint; ErrExists if the id is taken.
func (r *registry) create(ctx context.Context, e Endpoint) error {
	b, err := json.Marshal(toRecord(e))
	if err != nil {
		return fmt.Errorf("encode endpoint %s: %w", e.ID, err)
	}
	if _, err := r.kv.Create(ctx, e.ID, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return ErrExists
		}
		return fmt.Errorf("store endpoint %s: %w", e.ID, err)
	}
	return nil
}

// get returns a stored endpoint or ErrNotFound.
func (r *registry) get(ctx context.Context, id string) (Endpoint, error) {
	entry, err := r.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Endpoint{}, ErrNotFound
	}
	if err != nil {
		return Endpoint{}, fmt.Errorf("read endpoint %s: %w", id, err)
	}
	return decodeRecord(entry.Value())
}

// any reports whether the bucket holds an endpoint (state keys aside).
func (r *registry) any(ctx context.Context) (bool, error) {
	keys, err := r.kv.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("list webhook endpoints: %w", err)
	}
	defer func() { _ = keys.Stop() }() // the listing has ended; Stop may only say so
	found := false
	for k := range keys.Keys() {
		found = found || !strings.HasPrefix(k, stateKeyPrefix)
	}
	return found, nil
}

// delete removes a stored endpoint.
func (r *registry) delete(ctx context.Context, id string) error {
	if err := r.kv.Delete(ctx, id); err != nil {
		return fmt.Errorf("delete endpoint %s: %w", id, err)
	}
	return nil
}

func decodeRecord(b []byte) (Endpoint, error) {
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Endpoint{}, fmt.Errorf("decode endpoint: %w", err)
	}
	return rec.endpoint(), nil
}
