package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is a [Store] kept in process memory: the same contract as
// [JetStream] (compare-and-swap versions, history, an ordered watch), for
// tests and for embedding the API without NATS. Versions count from 1.
// It is safe for concurrent use.
type Memory struct {
	maxBytes int

	mu       sync.Mutex
	versions []Entry       // versions[i] is version i+1
	changed  chan struct{} // closed and replaced on every Put
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store. maxDocumentBytes bounds a document
// (<= 0: DefaultMaxDocumentBytes).
func NewMemory(maxDocumentBytes int) *Memory {
	if maxDocumentBytes <= 0 {
		maxDocumentBytes = DefaultMaxDocumentBytes
	}
	return &Memory{maxBytes: maxDocumentBytes, changed: make(chan struct{})}
}

// Get returns the latest version, or ErrNotFound.
func (m *Memory) Get(ctx context.Context) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, fmt.Errorf("store: get head: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.versions) == 0 {
		return Entry{}, fmt.Errorf("store: get head: %w", ErrNotFound)
	}
	return m.versions[len(m.versions)-1].clone(), nil
}

// Latest returns the latest version number (0 when none exists).
func (m *Memory) Latest(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: latest: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(len(m.versions)), nil
}

// Put writes data as a new version if expected is the current version (0:
// only if none exists). A zero meta.Time is set to now.
func (m *Memory) Put(ctx context.Context, data []byte, expected uint64, meta Meta) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: put: %w", err)
	}
	if len(data) == 0 {
		return 0, errors.New("store: put: empty document")
	}
	if len(data) > m.maxBytes {
		return 0, fmt.Errorf("store: put: document is %d bytes, limit %d: %w", len(data), m.maxBytes, ErrTooLarge)
	}
	if meta.Time.IsZero() {
		meta.Time = time.Now().UTC()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	current := uint64(len(m.versions))
	if expected != current {
		return 0, &ConflictError{Current: current}
	}
	v := current + 1
	// The caller keeps its slice; the store keeps its own bytes.
	m.versions = append(m.versions, Entry{Version: v, Data: slices.Clone(data), Meta: meta, SHA256: digest(data)})
	close(m.changed)
	m.changed = make(chan struct{})
	return v, nil
}

// History lists at most limit versions (all when limit <= 0), newest
// first, without their data.
func (m *Memory) History(ctx context.Context, limit int) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.versions)
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]Entry, 0, n)
	for i := len(m.versions) - 1; i >= 0 && len(out) < n; i-- {
		e := m.versions[i]
		e.Data, e.SHA256 = nil, ""
		out = append(out, e)
	}
	return out, nil
}

// Version returns version v with its data, or ErrNotFound.
func (m *Memory) Version(ctx context.Context, v uint64) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, fmt.Errorf("store: version %d: %w", v, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v == 0 || v > uint64(len(m.versions)) {
		return Entry{}, fmt.Errorf("store: version %d: %w", v, ErrNotFound)
	}
	return m.versions[v-1].clone(), nil
}

// Watch sends the current version (if any), then every new version in
// order, none skipped however slowly the receiver reads. The channel is
// closed when ctx ends.
func (m *Memory) Watch(ctx context.Context) (<-chan Entry, error) {
	out := make(chan Entry)
	m.mu.Lock()
	next := uint64(max(len(m.versions), 1)) // the current version first
	m.mu.Unlock()
	go func() {
		defer close(out)
		for {
			m.mu.Lock()
			have := uint64(len(m.versions))
			changed := m.changed
			var e Entry
			if next <= have {
				e = m.versions[next-1].clone()
			}
			m.mu.Unlock()
			if next > have {
				select {
				case <-ctx.Done():
					return
				case <-changed:
					continue
				}
			}
			select {
			case <-ctx.Done():
				return
			case out <- e:
				next++
			}
		}
	}()
	return out, nil
}

// clone copies the data, which callers may modify.
func (e Entry) clone() Entry {
	e.Data = slices.Clone(e.Data)
	return e
}

// MemoryPresence records the version each replica serves, in process
// memory: the announcements of Presence without NATS (tests, embedding).
// Announcements expire after ttl unless refreshed.
type MemoryPresence struct {
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	seen map[string]ReplicaStatus
}

// NewMemoryPresence returns an empty MemoryPresence (ttl <= 0:
// DefaultPresenceTTL) on the clock now (nil: time.Now).
func NewMemoryPresence(ttl time.Duration, now func() time.Time) *MemoryPresence {
	if ttl <= 0 {
		ttl = DefaultPresenceTTL
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryPresence{ttl: ttl, now: now, seen: map[string]ReplicaStatus{}}
}

// TTL returns how long an announcement lives without a refresh.
func (p *MemoryPresence) TTL() time.Duration { return p.ttl }

// Announce records that replicaID serves servedVersion.
func (p *MemoryPresence) Announce(ctx context.Context, replicaID string, servedVersion uint64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: announce %q: %w", replicaID, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[replicaID] = ReplicaStatus{ID: replicaID, Version: servedVersion, Seen: p.now(), Encodings: readEncodings()}
	return nil
}

// Withdraw removes replicaID's announcement.
func (p *MemoryPresence) Withdraw(_ context.Context, replicaID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.seen, replicaID)
	return nil
}

// Replicas lists the unexpired announcements, sorted by ID.
func (p *MemoryPresence) Replicas(ctx context.Context) ([]ReplicaStatus, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list replicas: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	out := make([]ReplicaStatus, 0, len(p.seen))
	for id, r := range p.seen {
		if now.Sub(r.Seen) > p.ttl {
			delete(p.seen, id)
			continue
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ReplicaStatus) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
