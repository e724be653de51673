package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrConflict is matched (with errors.Is) by the error Put returns when the
// expected version is stale. Use errors.As with a *[ConflictError] to learn
// the current version.
var ErrConflict = errors.New("store: version conflict")

// ErrNotFound is returned when there is no configuration yet, or when a
// requested version does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable is matched by the errors of a store that cannot reach its
// backend (NATS disconnected): the call was not attempted, so a failed Put
// wrote nothing and will not take effect later.
var ErrUnavailable = errors.New("store: unavailable")

// ErrTooLarge is returned by Put when the document exceeds the configured
// maximum document size.
var ErrTooLarge = errors.New("store: document too large")

// ConflictError is the error Put returns when the expected version is not
// the current one. It matches [ErrConflict] with errors.Is.
type ConflictError struct {
	// Current is the version that was current when the conflict was
	// detected; 0 means no configuration exists.
	Current uint64
}

// Error implements error.
func (e *ConflictError) Error() string {
	if e.Current == 0 {
		return "store: version conflict: no configuration exists"
	}
	return fmt.Sprintf("store: version conflict: current version is %d", e.Current)
}

// Unwrap returns [ErrConflict], so errors.Is(err, ErrConflict) holds.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Meta describes who made a version and why.
type Meta struct {
	// Author identifies the writer (user name, token name, "seed", ...).
	Author string `json:"author"`
	// Message is an optional free-text change description.
	Message string `json:"message,omitempty"`
	// Time is when the version was written; Put fills it in when zero.
	Time time.Time `json:"time"`
	// RollbackOf is the version whose content this version restores, if any.
	RollbackOf uint64 `json:"rollbackOf,omitempty"`
}

// Entry is one version of the configuration document.
type Entry struct {
	// Version is the version number; versions only grow.
	Version uint64 `json:"version"`
	// Data is the raw JSON document exactly as it was written. History
	// listings leave it nil. It is read-only: a store may share it with
	// later reads of the same version (and Put may keep the slice it is
	// given), since copying a 40 MB document costs more than reading it.
	Data []byte `json:"-"`
	// Meta describes the version.
	Meta Meta `json:"meta"`
	// SHA256 is the hex SHA-256 of Data, set with Data (and, by the
	// JetStream store, without it too): a reader can tell a document it
	// has compiled already without comparing, or even reading, its bytes.
	SHA256 string `json:"-"`
}

// Store is a versioned configuration store with compare-and-swap writes.
// Implementations are safe for concurrent use.
type Store interface {
	// Get returns the latest version, or ErrNotFound if none exists.
	Get(ctx context.Context) (Entry, error)

	// Latest returns the latest version number without its document (0
	// when none exists): a cheap poll for replicas catching up.
	Latest(ctx context.Context) (uint64, error)

	// Put writes data as a new version if the current version equals
	// expected (0 meaning "only if no configuration exists yet") and returns
	// the new version. A stale expected version yields a *ConflictError,
	// which matches ErrConflict.
	Put(ctx context.Context, data []byte, expected uint64, meta Meta) (uint64, error)

	// History lists at most limit versions (all when limit <= 0), newest
	// first, with their metadata. Entry.Data may be nil in the listing.
	History(ctx context.Context, limit int) ([]Entry, error)

	// Version returns the given past or current version with its data, or
	// ErrNotFound.
	Version(ctx context.Context, v uint64) (Entry, error)

	// Watch sends the current entry (if any) and then every new version, in
	// increasing version order. The channel is closed when ctx ends.
	Watch(ctx context.Context) (<-chan Entry, error)
}
