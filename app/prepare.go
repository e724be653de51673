package app

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/store"
)

// preparedConfig hands the config the API compiled while validating a
// write (or the seed) to this replica's apply, so that the writing
// replica compiles each document once: at 100,000 schedules a compile
// takes a few hundred milliseconds. It keeps the last one only, matched
// by the document's SHA-256 (the store's entries carry theirs).
type preparedConfig struct {
	mu  sync.Mutex
	sum string
	cfg *engine.Config
}

// prepare records cfg as the config of document data (api.Deps.Prepared).
func (a *App) prepare(data []byte, cfg *engine.Config) {
	sum := sha256.Sum256(data)
	a.prepared.mu.Lock()
	a.prepared.sum, a.prepared.cfg = hex.EncodeToString(sum[:]), cfg
	a.prepared.mu.Unlock()
}

// take returns, and forgets, the config prepared for e's document, or
// nil.
func (p *preparedConfig) take(e store.Entry) *engine.Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg == nil || e.SHA256 == "" || e.SHA256 != p.sum {
		return nil
	}
	cfg := p.cfg
	p.sum, p.cfg = "", nil
	return cfg
}
