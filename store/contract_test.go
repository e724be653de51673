package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// testStore is the contract every Store implementation must meet. newStore
// returns a fresh, empty store for each subtest.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		if _, err := s.Get(ctx); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get on empty store: err = %v, want ErrNotFound", err)
		}
		for _, v := range []uint64{0, 1, 42} {
			if _, err := s.Version(ctx, v); !errors.Is(err, ErrNotFound) {
				t.Errorf("Version(%d) on empty store: err = %v, want ErrNotFound", v, err)
			}
		}
		h, err := s.History(ctx, 10)
		if err != nil || len(h) != 0 {
			t.Fatalf("History on empty store = %v, %v; want empty, nil", h, err)
		}
		if v, err := s.Latest(ctx); err != nil || v != 0 {
			t.Fatalf("Latest on empty store = %d, %v; want 0, nil", v, err)
		}
	})

	t.Run("CreateAndGet", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		doc := []byte("{ \"rules\": [],\n\t\"schedules\" : [ ] }\n") // odd spacing must survive
		meta := Meta{Author: "alice", Message: "first", RollbackOf: 0}
		v, err := s.Put(ctx, doc, 0, meta)
		if err != nil || v == 0 {
			t.Fatalf("Put = %d, %v", v, err)
		}
		got, err := s.Get(ctx)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Version != v || !bytes.Equal(got.Data, doc) {
			t.Fatalf("Get = v%d %q, want v%d %q", got.Version, got.Data, v, doc)
		}
		if got.Meta.Author != "alice" || got.Meta.Message != "first" || got.Meta.Time.IsZero() {
			t.Fatalf("Get meta = %+v", got.Meta)
		}
		if d := time.Since(got.Meta.Time); d < 0 || d > time.Minute {
			t.Fatalf("meta time %v is not now", got.Meta.Time)
		}
		if latest, err := s.Latest(ctx); err != nil || latest != v {
			t.Fatalf("Latest = %d, %v; want %d", latest, err, v)
		}
		byVersion, err := s.Version(ctx, v)
		if err != nil || !bytes.Equal(byVersion.Data, doc) || byVersion.Version != v {
			t.Fatalf("Version(%d) = %+v, %v", v, byVersion, err)
		}
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		v2, err := s.Put(ctx, []byte(`{}`), v, Meta{Author: "bob", Time: at, RollbackOf: v})
		if err != nil || v2 <= v {
			t.Fatalf("second Put = %d, %v; want > %d", v2, err, v)
		}
		got, err = s.Get(ctx)
		if err != nil || !got.Meta.Time.Equal(at) || got.Meta.RollbackOf != v || got.Meta.Author != "bob" {
			t.Fatalf("Get after second Put = %+v, %v", got, err)
		}
	})

	t.Run("CompareAndSwap", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		if _, err := s.Put(ctx, []byte(`{"n":1}`), 7, Meta{Author: "a"}); !isConflict(err, 0) {
			t.Fatalf("Put(expected=7) on empty store: err = %v, want conflict with current 0", err)
		}
		v1 := mustPut(t, s, `{"n":1}`, 0)
		v2 := mustPut(t, s, `{"n":2}`, v1)
		for _, tc := range []struct {
			name     string
			expected uint64
		}{
			{"create when one exists", 0},
			{"stale version", v1},
			{"future version", v2 + 100},
		} {
			_, err := s.Put(ctx, []byte(`{"n":"lost"}`), tc.expected, Meta{Author: "a"})
			if !isConflict(err, v2) {
				t.Errorf("%s: Put(expected=%d) err = %v, want conflict with current %d", tc.name, tc.expected, err, v2)
			}
		}
		if got, err := s.Get(ctx); err != nil || got.Version != v2 || string(got.Data) != `{"n":2}` {
			t.Fatalf("Get after conflicts = %+v, %v; want v%d unchanged", got, err, v2)
		}
		if v3 := mustPut(t, s, `{"n":3}`, v2); v3 <= v2 {
			t.Fatalf("Put(expected=current) = %d, want > %d", v3, v2)
		}
	})

	t.Run("RacingWriters", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name  string
			setup bool // whether a version exists before the race
		}{{"create", false}, {"update", true}} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				s, ctx := newStore(t), t.Context()
				var base uint64
				if tc.setup {
					base = mustPut(t, s, `{"base":true}`, 0)
				}
				const writers = 50
				var (
					wg      sync.WaitGroup
					mu      sync.Mutex
					winners []int
					version uint64
					errs    = make([]error, writers)
				)
				for i := range writers {
					wg.Go(func() {
						v, err := s.Put(ctx, fmt.Appendf(nil, `{"writer":%d}`, i), base, Meta{Author: fmt.Sprint(i)})
						errs[i] = err
						if err == nil {
							mu.Lock()
							winners, version = append(winners, i), v
							mu.Unlock()
						}
					})
				}
				wg.Wait()
				if len(winners) != 1 {
					t.Fatalf("%d writers won (%v), want exactly 1", len(winners), winners)
				}
				for i, err := range errs {
					if i != winners[0] && !isConflict(err, version) {
						t.Errorf("writer %d: err = %v, want conflict with current %d", i, err, version)
					}
				}
				got, err := s.Get(ctx)
				want := fmt.Sprintf(`{"writer":%d}`, winners[0])
				if err != nil || got.Version != version || string(got.Data) != want || got.Meta.Author != fmt.Sprint(winners[0]) {
					t.Fatalf("Get = %+v (%s), %v; want v%d %s", got, got.Data, err, version, want)
				}
			})
		}
	})

	t.Run("History", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		var versions []uint64
		var prev uint64
		for i := range 5 {
			prev = mustPutMeta(t, s, fmt.Sprintf(`{"i":%d}`, i), prev, Meta{Author: fmt.Sprintf("user%d", i), Message: fmt.Sprintf("change %d", i)})
			versions = append(versions, prev)
		}
		for _, tc := range []struct {
			limit, want int
		}{{0, 5}, {-1, 5}, {2, 2}, {5, 5}, {100, 5}} {
			h, err := s.History(ctx, tc.limit)
			if err != nil || len(h) != tc.want {
				t.Fatalf("History(%d) = %d entries, %v; want %d", tc.limit, len(h), err, tc.want)
			}
			for j, e := range h {
				i := len(versions) - 1 - j // newest first
				if e.Version != versions[i] || e.Meta.Author != fmt.Sprintf("user%d", i) ||
					e.Meta.Message != fmt.Sprintf("change %d", i) || e.Meta.Time.IsZero() {
					t.Errorf("History(%d)[%d] = %+v, want version %d by user%d", tc.limit, j, e, versions[i], i)
				}
				if e.Data != nil && string(e.Data) != fmt.Sprintf(`{"i":%d}`, i) {
					t.Errorf("History(%d)[%d] data = %s", tc.limit, j, e.Data)
				}
			}
		}
	})

	t.Run("OldVersionBeyondKVHistory", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		const writes = 70
		var versions []uint64
		var prev uint64
		for i := range writes {
			prev = mustPut(t, s, fmt.Sprintf(`{"i":%d}`, i), prev)
			versions = append(versions, prev)
		}
		for _, i := range []int{0, 1, 5, writes - 65, writes - 1} {
			e, err := s.Version(ctx, versions[i])
			if want := fmt.Sprintf(`{"i":%d}`, i); err != nil || string(e.Data) != want || e.Version != versions[i] {
				t.Errorf("Version(%d) = %s, %v; want %s", versions[i], e.Data, err, want)
			}
		}
		if _, err := s.Version(ctx, versions[writes-1]+1); !errors.Is(err, ErrNotFound) {
			t.Errorf("Version(future) err = %v, want ErrNotFound", err)
		}
		if h, err := s.History(ctx, 0); err != nil || len(h) != writes {
			t.Errorf("History(0) = %d entries, %v; want %d", len(h), err, writes)
		}
	})

	t.Run("LargeDocument", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		doc := largeDoc(3 << 20)
		v := mustPut(t, s, string(doc), 0)
		got, err := s.Get(ctx)
		if err != nil || got.Version != v || !bytes.Equal(got.Data, doc) {
			t.Fatalf("Get of 3 MB doc: v%d, %d bytes, %v", got.Version, len(got.Data), err)
		}
		v2 := mustPut(t, s, `{"small":true}`, v)
		old, err := s.Version(ctx, v)
		if err != nil || !bytes.Equal(old.Data, doc) {
			t.Fatalf("Version(%d) of 3 MB doc: %d bytes, %v", v, len(old.Data), err)
		}
		// Rolling back to identical content works (same body, new version).
		v3 := mustPutMeta(t, s, string(doc), v2, Meta{Author: "ops", RollbackOf: v})
		if got, err := s.Get(ctx); err != nil || got.Version != v3 || !bytes.Equal(got.Data, doc) || got.Meta.RollbackOf != v {
			t.Fatalf("Get after rollback: v%d, %d bytes, %+v, %v", got.Version, len(got.Data), got.Meta, err)
		}
	})

	t.Run("Watch", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		wctx, cancel := context.WithCancel(ctx)
		ch, err := s.Watch(wctx)
		if err != nil {
			t.Fatalf("Watch: %v", err)
		}
		expectNone(t, ch, 100*time.Millisecond) // empty store: nothing yet
		v1 := mustPut(t, s, `{"w":1}`, 0)
		expectEntry(t, ch, v1, `{"w":1}`)
		v2 := mustPut(t, s, `{"w":2}`, v1)
		expectEntry(t, ch, v2, `{"w":2}`)

		late, err := s.Watch(ctx) // a watcher started later gets the current entry first
		if err != nil {
			t.Fatalf("Watch: %v", err)
		}
		expectEntry(t, late, v2, `{"w":2}`)
		doc := largeDoc(2 << 20)
		v3 := mustPut(t, s, string(doc), v2)
		expectEntry(t, ch, v3, string(doc))
		expectEntry(t, late, v3, string(doc))

		cancel()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					return
				}
			case <-deadline:
				t.Fatal("Watch channel not closed after cancel")
			}
		}
	})
}

func isConflict(err error, current uint64) bool {
	var ce *ConflictError
	return errors.Is(err, ErrConflict) && errors.As(err, &ce) && ce.Current == current
}

func mustPut(t *testing.T, s Store, doc string, expected uint64) uint64 {
	t.Helper()
	return mustPutMeta(t, s, doc, expected, Meta{Author: "test"})
}

func mustPutMeta(t *testing.T, s Store, doc string, expected uint64, meta Meta) uint64 {
	t.Helper()
	v, err := s.Put(t.Context(), []byte(doc), expected, meta)
	if err != nil {
		t.Fatalf("Put(expected=%d): %v", expected, err)
	}
	return v
}

// largeDoc returns a JSON document of exactly n bytes (n >= 16).
func largeDoc(n int) []byte {
	b := make([]byte, 0, n)
	b = append(b, `{"pad":"`...)
	for i := 0; len(b) < n-2; i++ {
		b = append(b, 'a'+byte(i%26))
	}
	return append(b, `"}`...)
}

func expectEntry(t *testing.T, ch <-chan Entry, version uint64, data string) {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatalf("watch channel closed, want version %d", version)
		}
		if e.Version != version || string(e.Data) != data {
			t.Fatalf("watch got v%d (%d bytes), want v%d (%d bytes)", e.Version, len(e.Data), version, len(data))
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("watch: no entry for version %d within 5s", version)
	}
}

func expectNone(t *testing.T, ch <-chan Entry, wait time.Duration) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("watch: unexpected entry v%d", e.Version)
	case <-time.After(wait):
	}
}
