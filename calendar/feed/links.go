package feed

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Link is a secret feed link of one schedule, as stored: the secret itself
// is never kept, only its SHA-256 (like API tokens), so a link is shown
// once, when it is created, and can only be revoked afterwards.
type Link struct {
	// ID names the link in the admin API (the first 16 hex digits of the
	// secret's hash); it is not the secret and cannot open the feed.
	ID        string    `json:"id"`
	Schedule  string    `json:"schedule"`
	Label     string    `json:"label,omitempty"`
	CreatedBy string    `json:"createdBy"`
	Created   time.Time `json:"created"`
	// Days is the range the link's feed covers (0: DefaultDays).
	Days int `json:"days,omitempty"`
	hash string
}

// ErrNotFound is returned for an unknown or revoked link.
var ErrNotFound = errors.New("feed: no such link")

// SecretPrefix starts every feed secret, so a leaked one is recognisable
// (secret scanners, logs).
const SecretPrefix = "smf_"

// NewSecret returns a random feed secret (256 bits) and its hash.
func NewSecret() (secret, hash string, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("feed: generate secret: %w", err)
	}
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(raw)
	return secret, HashSecret(secret), nil
}

// HashSecret is the stored form of a secret (hex SHA-256).
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ValidSecretForm reports whether s looks like a secret NewSecret makes,
// so that junk is refused without a store lookup.
func ValidSecretForm(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	return strings.HasPrefix(s, SecretPrefix) && err == nil && len(b) == 32
}

// Links stores feed links. KVLinks and MemoryLinks implement it and pass
// the same contract test.
type Links interface {
	// Create stores a new link for schedule and returns it with its secret.
	Create(ctx context.Context, l Link) (Link, string, error)
	// List returns every link, oldest first.
	List(ctx context.Context) ([]Link, error)
	// Revoke deletes the link with the given ID (ErrNotFound if none).
	Revoke(ctx context.Context, id string) error
	// Resolve returns the link a secret opens (ErrNotFound if none).
	Resolve(ctx context.Context, secret string) (Link, error)
}

var (
	_ Links = (*KVLinks)(nil)
	_ Links = (*MemoryLinks)(nil)
)

// record is the stored form of a link.
type record struct {
	Link
	Hash string `json:"sha256"`
}

func newLink(l Link) (Link, string, error) {
	secret, hash, err := NewSecret()
	if err != nil {
		return Link{}, "", err
	}
	l.ID, l.hash = hash[:16], hash
	return l, secret, nil
}

// LinksBucket is the KV bucket KVLinks uses. Only the service identity may
// read it (DESIGN.md §6: secrets never travel where a reader can see them).
const LinksBucket = "schedmgr_feed_links"

// KVLinks stores links in a JetStream key-value bucket, one key per link:
// "l.<sha256 of the secret>", so Resolve is one read.
type KVLinks struct {
	kv jetstream.KeyValue
}

// NewKVLinks binds or creates the links bucket.
func NewKVLinks(ctx context.Context, js jetstream.JetStream, replicas int) (*KVLinks, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: LinksBucket, Description: "hashes of schedule feed secrets", History: 1, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("feed links bucket: %w", err)
	}
	return &KVLinks{kv: kv}, nil
}

func linkKey(hash string) string { return "l." + hash }

// Create implements Links.
func (k *KVLinks) Create(ctx context.Context, l Link) (Link, string, error) {
	l, secret, err := newLink(l)
	if err != nil {
		return Link{}, "", err
	}
	b, err := json.Marshal(record{Link: l, Hash: l.hash})
	if err != nil {
		return Link{}, "", err
	}
	if _, err := k.kv.Create(ctx, linkKey(l.hash), b); err != nil {
		return Link{}, "", fmt.Errorf("store feed link: %w", err)
	}
	return l, secret, nil
}

// List implements Links.
func (k *KVLinks) List(ctx context.Context) ([]Link, error) {
	lister, err := k.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list feed links: %w", err)
	}
	defer func() { _ = lister.Stop() }()
	var out []Link
	for key := range lister.Keys() {
		e, err := k.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // revoked meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read feed link: %w", err)
		}
		var r record
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return nil, fmt.Errorf("read feed link %s: %w", key, err)
		}
		r.Link.hash = r.Hash
		out = append(out, r.Link)
	}
	sortLinks(out)
	return out, nil
}

// Revoke implements Links.
func (k *KVLinks) Revoke(ctx context.Context, id string) error {
	links, err := k.List(ctx)
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.ID == id {
			if err := k.kv.Purge(ctx, linkKey(l.hash)); err != nil {
				return fmt.Errorf("revoke feed link: %w", err)
			}
			return nil
		}
	}
	return ErrNotFound
}

// Resolve implements Links.
func (k *KVLinks) Resolve(ctx context.Context, secret string) (Link, error) {
	if !ValidSecretForm(secret) {
		return Link{}, ErrNotFound
	}
	e, err := k.kv.Get(ctx, linkKey(HashSecret(secret)))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Link{}, ErrNotFound
	}
	if err != nil {
		return Link{}, fmt.Errorf("read feed link: %w", err)
	}
	var r record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Link{}, fmt.Errorf("read feed link: %w", err)
	}
	r.Link.hash = r.Hash
	return r.Link, nil
}

// MemoryLinks keeps links in memory: for tests and single-process use.
type MemoryLinks struct {
	mu    sync.Mutex
	links map[string]Link // by hash
}

// NewMemoryLinks returns an empty MemoryLinks.
func NewMemoryLinks() *MemoryLinks { return &MemoryLinks{links: map[string]Link{}} }

// Create implements Links.
func (m *MemoryLinks) Create(_ context.Context, l Link) (Link, string, error) {
	l, secret, err := newLink(l)
	if err != nil {
		return Link{}, "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links[l.hash] = l
	return l, secret, nil
}

// List implements Links.
func (m *MemoryLinks) List(context.Context) ([]Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Link, 0, len(m.links))
	for _, l := range m.links {
		out = append(out, l)
	}
	sortLinks(out)
	return out, nil
}

// Revoke implements Links.
func (m *MemoryLinks) Revoke(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, l := range m.links {
		if l.ID == id {
			delete(m.links, h)
			return nil
		}
	}
	return ErrNotFound
}

// Resolve implements Links.
func (m *MemoryLinks) Resolve(_ context.Context, secret string) (Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[HashSecret(secret)]
	if !ok || !ValidSecretForm(secret) {
		return Link{}, ErrNotFound
	}
	return l, nil
}

func sortLinks(ls []Link) {
	slices.SortFunc(ls, func(a, b Link) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
