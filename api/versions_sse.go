package api

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// VersionEventType is the SSE event type GET /api/v1/events sends when
// this replica starts serving a new config version (and once when the
// stream opens), so an admin UI learns of every publish at once.
const VersionEventType = "io.schedulemanager.config.version"

// versionPoll is how often an event stream looks at the served version: a
// load of the scheduler's state, cheap enough for every stream.
const versionPoll = 250 * time.Millisecond

// versionMetaTimeout bounds the read of a new version's metadata; the
// event is sent without it rather than late.
const versionMetaTimeout = 2 * time.Second

// versionEvent is the data of a VersionEventType event. It has no SSE id:
// it is not in the events stream, so it must not move a client's resume
// point (Last-Event-ID).
type versionEvent struct {
	Version    uint64    `json:"version"`
	Author     string    `json:"author,omitempty"`
	Message    string    `json:"message,omitempty"`
	Time       time.Time `json:"time,omitzero"`
	RollbackOf uint64    `json:"rollbackOf,omitempty"`
}

// versionMetaCache remembers the metadata of the version read last, so
// that N open streams read it from the store once.
type versionMetaCache struct {
	mu  sync.Mutex
	ev  versionEvent
	set bool
}

// versionEventData is the JSON of the event for version v.
func (s *Server) versionEventData(ctx context.Context, v uint64) []byte {
	c := &s.versionMeta
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.set || c.ev.Version != v {
		ev := versionEvent{Version: v}
		mctx, cancel := context.WithTimeout(ctx, versionMetaTimeout)
		e, err := s.store.Version(mctx, v)
		cancel()
		if err == nil {
			ev.Author, ev.Message, ev.Time, ev.RollbackOf = e.Meta.Author, e.Meta.Message, e.Meta.Time, e.Meta.RollbackOf
			c.ev, c.set = ev, true
		} else {
			s.log.Debug("api: version metadata for the event stream", "version", v, "err", err)
			b, _ := json.Marshal(ev)
			return b
		}
	}
	b, _ := json.Marshal(c.ev)
	return b
}

// versionWatch reports the served version when it differs from the last
// one reported (the first call reports it whatever it is).
type versionWatch struct {
	last uint64
	sent bool
}

func (vw *versionWatch) changed(s *Server) (uint64, bool) {
	_, v := s.status.Config()
	if v == 0 || (vw.sent && v == vw.last) {
		return 0, false
	}
	vw.last, vw.sent = v, true
	return v, true
}
