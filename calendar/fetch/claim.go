package fetch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// KVClaimer claims scheduled refreshes in a JetStream key-value bucket:
// the first replica to create a key wins it. Keys expire after a day.
type KVClaimer struct {
	kv jetstream.KeyValue
}

// ClaimBucket is the bucket KVClaimer uses.
const ClaimBucket = "schedmgr_calendar_claims"

// NewKVClaimer binds or creates the claims bucket.
func NewKVClaimer(ctx context.Context, js jetstream.JetStream, replicas int) (*KVClaimer, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      ClaimBucket,
		Description: "which replica fetches each scheduled calendar refresh",
		History:     1,
		TTL:         24 * time.Hour,
		Replicas:    max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("calendar claims bucket: %w", err)
	}
	return &KVClaimer{kv: kv}, nil
}

// Claim returns true for the first caller of key.
func (c *KVClaimer) Claim(ctx context.Context, key string) (bool, error) {
	_, err := c.kv.Create(ctx, key, []byte{1})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyExists):
		return false, nil
	}
	return false, fmt.Errorf("claim %s: %w", key, err)
}
