package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Why an endpoint is disabled (Disabled.Reason).
const (
	DisabledGone  = "gone"  // the receiver answered 410 Gone
	DisabledAdmin = "admin" // an admin disabled it through the API
)

// stateKeyPrefix starts the bucket key of an endpoint's state. Endpoint
// ids hold no dot, so state keys never collide with endpoint keys.
const stateKeyPrefix = "state."

func stateKey(id string) string { return stateKeyPrefix + id }

// State is the delivery state of an endpoint that every replica shares
// (kept in the bucket): whether it is disabled, and whether it fails as a
// whole. The zero value is an active, healthy endpoint.
type State struct {
	Disabled *Disabled `json:"disabled,omitempty"`
	Failing  *Failing  `json:"failing,omitempty"`
}

// Disabled records why deliveries to an endpoint stopped. Its events stay
// queued (up to the delivery stream's retention) and are delivered, in
// order, once it is enabled again.
type Disabled struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"` // DisabledGone or DisabledAdmin
	// Status is the HTTP status that disabled it (410), if any.
	Status int    `json:"status,omitempty"`
	By     string `json:"by,omitempty"`
	// URLHash identifies the URL that was disabled: a configured endpoint
	// whose URL changed since is enabled again.
	URLHash string `json:"urlHash,omitempty"`
}

// Failing records that an endpoint's attempts fail for several schedules
// in a row, so the active replica only probes it until it answers.
type Failing struct {
	Since      time.Time `json:"since"`
	LastStatus int       `json:"lastStatus,omitempty"`
	// LastError is a short reason (status, timeout, connection refused),
	// never the receiver's answer.
	LastError string `json:"lastError,omitempty"`
}

// urlHash identifies a URL without storing it a second time.
func urlHash(u string) string {
	h := sha256.Sum256([]byte(u))
	return hex.EncodeToString(h[:8])
}

// disabledFor reports whether st disables e: a disable of another URL no
// longer applies.
func (st State) disabledFor(e Endpoint) bool {
	return st.Disabled != nil && (st.Disabled.URLHash == "" || st.Disabled.URLHash == urlHash(e.URL))
}

// readState returns the stored state of an endpoint and its revision (0
// when none is stored).
func (r *registry) readState(ctx context.Context, id string) (State, uint64, error) {
	entry, err := r.kv.Get(ctx, stateKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return State{}, 0, nil
	}
	if err != nil {
		return State{}, 0, fmt.Errorf("read the state of endpoint %s: %w", id, err)
	}
	st, err := decodeState(entry.Value())
	return st, entry.Revision(), err
}

// updateState changes an endpoint's state with compare-and-swap, retrying
// on a concurrent change. change returns false to leave it as it is.
func (r *registry) updateState(ctx context.Context, id string, change func(*State) bool) error {
	for range 10 {
		st, rev, err := r.readState(ctx, id)
		if err != nil {
			return err
		}
		if !change(&st) {
			return nil
		}
		if st == (State{}) {
			if rev == 0 {
				return nil
			}
			err = r.kv.Delete(ctx, stateKey(id), jetstream.LastRevision(rev))
		} else {
			b, merr := json.Marshal(st)
			if merr != nil {
				return fmt.Errorf("encode the state of endpoint %s: %w", id, merr)
			}
			if rev == 0 {
				_, err = r.kv.Create(ctx, stateKey(id), b)
			} else {
				_, err = r.kv.Update(ctx, stateKey(id), b, rev)
			}
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return fmt.Errorf("store the state of endpoint %s: %w", id, err)
		}
	}
	return fmt.Errorf("store the state of endpoint %s: too many concurrent changes", id)
}

// deleteState forgets an endpoint's state.
func (r *registry) deleteState(ctx context.Context, id string) error {
	if err := r.kv.Delete(ctx, stateKey(id)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete the state of endpoint %s: %w", id, err)
	}
	return nil
}

func decodeState(b []byte) (State, error) {
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, fmt.Errorf("decode endpoint state: %w", err)
	}
	return st, nil
}
