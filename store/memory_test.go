package store

import (
	"context"
	"testing"
	"time"
)

func TestMemoryContract(t *testing.T) {
	testStore(t, func(t *testing.T) Store { return NewMemory(8 << 20) })
}

func TestMemoryDataIsNotShared(t *testing.T) {
	m := NewMemory(0)
	ctx := context.Background()
	doc := []byte(`{"a":1}`)
	v, err := m.Put(ctx, doc, 0, Meta{Author: "t"})
	if err != nil {
		t.Fatal(err)
	}
	doc[2] = 'X' // the caller reuses its buffer
	got, _ := m.Get(ctx)
	got.Data[3] = 'Y' // a reader edits what it got
	again, _ := m.Version(ctx, v)
	if string(again.Data) != `{"a":1}` {
		t.Errorf("stored document changed through a caller's slice: %s", again.Data)
	}
}

func TestMemoryTooLarge(t *testing.T) {
	m := NewMemory(10)
	if _, err := m.Put(context.Background(), []byte(`{"pad":"0123456789"}`), 0, Meta{}); err == nil {
		t.Fatal("a document over the limit was stored")
	}
	if _, err := m.Get(context.Background()); err == nil {
		t.Fatal("Get after a refused Put found a version")
	}
}

func TestMemoryPresenceExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := NewMemoryPresence(15*time.Second, func() time.Time { return now })
	ctx := context.Background()
	_ = p.Announce(ctx, "b", 2)
	_ = p.Announce(ctx, "a", 1)
	reps, _ := p.Replicas(ctx)
	if len(reps) != 2 || reps[0].ID != "a" || reps[1].Version != 2 {
		t.Fatalf("replicas %+v", reps)
	}
	now = now.Add(10 * time.Second)
	_ = p.Announce(ctx, "a", 3)
	now = now.Add(10 * time.Second) // b is 20 s old, a 10 s
	reps, _ = p.Replicas(ctx)
	if len(reps) != 1 || reps[0].ID != "a" || reps[0].Version != 3 {
		t.Fatalf("after b expired: %+v", reps)
	}
	_ = p.Withdraw(ctx, "a")
	if reps, _ = p.Replicas(ctx); len(reps) != 0 {
		t.Fatalf("after withdraw: %+v", reps)
	}
}
