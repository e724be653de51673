package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults applied by [Options] when a field is zero.
const (
	// DefaultPrefix is the default bucket name prefix.
	DefaultPrefix = "schedmgr"
	// DefaultReplicas is the default JetStream replica count.
	DefaultReplicas = 1
	// DefaultMaxDocumentBytes is the default largest document (64 MiB,
	// as engine.DefaultMaxDocumentBytes: 100,000 schedules with UUID rule
	// ids are about 40 MB). Larger than InlineMaxBytes, it goes to the
	// object store in chunks.
	DefaultMaxDocumentBytes = 64 << 20
	// DefaultInlineMaxBytes is the default largest inline document (128 KiB).
	DefaultInlineMaxBytes = 128 << 10
	// DefaultPresenceTTL is the default lifetime of a replica announcement.
	DefaultPresenceTTL = 15 * time.Second
)

const (
	headKey       = "config"
	historyPrefix = "v."
	headHistory   = 64 // KV maximum; lets Version fall back to the head key
	// bestEffortTimeout bounds history writes done after a successful Put,
	// which run even when the caller's context has ended.
	bestEffortTimeout = 5 * time.Second
)

var validPrefix = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// Options configures [NewJetStream] and [NewPresence]. The zero value is
// usable: every zero field takes its default.
type Options struct {
	// Prefix starts every bucket name ("<prefix>_config", ...).
	// Default "schedmgr".
	Prefix string
	// Replicas is the JetStream replica count of newly created buckets
	// (1 to 5). Existing buckets are bound as they are. Default 1.
	Replicas int
	// MaxDocumentBytes is the largest document Put accepts. Default 64 MiB.
	MaxDocumentBytes int
	// InlineMaxBytes is the largest document kept inline in the KV records;
	// larger ones go to the object store. Negative means never inline.
	// Default 128 KiB.
	InlineMaxBytes int
	// Compression says when Put compresses a document it stores in the
	// object store. Default CompressAuto.
	Compression Compression
	// PresenceTTL is how long a replica announcement lives without a
	// refresh (used by NewPresence only). Default 15s.
	PresenceTTL time.Duration
	// Logger receives warnings about best-effort work (history records,
	// undecodable watch updates). Default slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !validPrefix.MatchString(o.Prefix) {
		return o, fmt.Errorf("store: invalid bucket prefix %q: use letters, digits, '-' and '_'", o.Prefix)
	}
	if o.Replicas == 0 {
		o.Replicas = DefaultReplicas
	}
	if o.Replicas < 1 || o.Replicas > 5 {
		return o, fmt.Errorf("store: replicas must be between 1 and 5, got %d", o.Replicas)
	}
	if o.MaxDocumentBytes <= 0 {
		o.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if o.InlineMaxBytes == 0 {
		o.InlineMaxBytes = DefaultInlineMaxBytes
	}
	if o.Compression < CompressAuto || o.Compression > CompressAlways {
		return o, fmt.Errorf("store: unknown compression %d", o.Compression)
	}
	if o.PresenceTTL <= 0 {
		o.PresenceTTL = DefaultPresenceTTL
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// JetStream is a [Store] backed by NATS JetStream KV buckets and an object
// store (see the package documentation for the layout). It is safe for
// concurrent use, also by several processes sharing the same buckets.
type JetStream struct {
	js      jetstream.JetStream
	conn    *nats.Conn
	head    jetstream.KeyValue
	history jetstream.KeyValue
	docs    jetstream.ObjectStore
	opts    Options
	log     *slog.Logger
	last    lastObject
	zstd    func() (zstdCodec, error)
}

// lastObject is the document read or written last, kept so that
// reading it again (a replica applying the version it read for a manual
// close, or closing schedules on the version it just applied) costs a
// digest check instead of a read of up to 64 MB from the object store.
// It is named by its SHA-256, so a name always means the same bytes.
// The bytes are shared, not copied (Entry.Data is read-only): at
// 100,000 schedules each copy of the 40 MB document took 0.3–0.4 s, most
// of it faulting in fresh memory, on every version a replica read.
type lastObject struct {
	mu   sync.Mutex
	name string
	data []byte
}

// get returns the document if it is the one kept and its bytes still
// have its digest (a caller that wrote into a shared Entry.Data would
// otherwise hand the change to the next reader).
func (l *lastObject) get(name string) ([]byte, bool) {
	l.mu.Lock()
	n, data := l.name, l.data
	l.mu.Unlock()
	if n != name || data == nil || digest(data) != name {
		return nil, false
	}
	return data, true
}

// set keeps document name (its SHA-256), data (not a copy).
func (l *lastObject) set(name string, data []byte) {
	l.mu.Lock()
	l.name, l.data = name, data
	l.mu.Unlock()
}

var _ Store = (*JetStream)(nil)

// NewJetStream binds to the store's buckets, creating those that do not
// exist, and backfills the history record of the current head if a previous
// writer crashed before writing it.
func NewJetStream(ctx context.Context, js jetstream.JetStream, opts Options) (*JetStream, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	head, err := bindOrCreateKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:      o.Prefix + "_config",
		Description: "Schedule Manager config head; the revision is the version",
		History:     headHistory,
		Replicas:    o.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, err
	}
	history, err := bindOrCreateKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:      o.Prefix + "_history",
		Description: "Schedule Manager config versions, keyed v.<version>",
		History:     1,
		Replicas:    o.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, err
	}
	docs, err := js.ObjectStore(ctx, o.Prefix+"_docs")
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		docs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      o.Prefix + "_docs",
			Description: "Schedule Manager large config documents, named by sha256",
			Replicas:    o.Replicas,
			Storage:     jetstream.FileStorage,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("store: object store %s_docs: %w", o.Prefix, err)
	}
	s := &JetStream{js: js, conn: js.Conn(), head: head, history: history, docs: docs, opts: o, log: o.Logger,
		zstd: sync.OnceValues(newZstdCodec)}
	if e, err := s.head.Get(ctx, headKey); err == nil {
		s.backfill(ctx, e.Revision())
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("store: get head: %w", err)
	}
	return s, nil
}

// bindOrCreateKV binds to an existing bucket as it is, or creates it.
func bindOrCreateKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

func historyKey(v uint64) string { return fmt.Sprintf("%s%020d", historyPrefix, v) }

// reachable fails with ErrUnavailable while the NATS connection is down:
// the caller learns at once, instead of after a timeout, that nothing was
// sent. (The service's connection also keeps no reconnect buffer, so a
// request made during a disconnect can never be sent later.)
func (s *JetStream) reachable() error {
	if st := s.conn.Status(); st != nats.CONNECTED {
		return fmt.Errorf("%w: NATS connection is %s; nothing was written", ErrUnavailable, strings.ToLower(st.String()))
	}
	return nil
}

// Get returns the latest version, or ErrNotFound if none exists.
func (s *JetStream) Get(ctx context.Context) (Entry, error) {
	if err := s.reachable(); err != nil {
		return Entry{}, fmt.Errorf("store: get head: %w", err)
	}
	e, err := s.head.Get(ctx, headKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Entry{}, fmt.Errorf("store: get head: %w", ErrNotFound)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("store: get head: %w", err)
	}
	entry, _, err := s.entry(ctx, e.Revision(), e.Value(), true)
	if err != nil {
		return Entry{}, fmt.Errorf("store: get head: %w", err)
	}
	return entry, nil
}

// Latest returns the latest version without fetching its document: the
// head key's revision (0 when no config exists). It reads with a direct
// get where the bucket allows it, so it keeps answering while the stream
// elects a new leader.
func (s *JetStream) Latest(ctx context.Context) (uint64, error) {
	if err := s.reachable(); err != nil {
		return 0, fmt.Errorf("store: latest: %w", err)
	}
	e, err := s.head.Get(ctx, headKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: latest: %w", err)
	}
	return e.Revision(), nil
}

// Put writes data as a new version if expected is the current version (0:
// only if no configuration exists) and returns the new version. A stale
// expected version yields a *ConflictError. A zero meta.Time is set to now.
//
// Once the head is updated Put succeeds; the history record is written
// best-effort afterwards (a failure is logged and repaired by later Puts, by
// NewJetStream, and by Version's fallback to the head key).
func (s *JetStream) Put(ctx context.Context, data []byte, expected uint64, meta Meta) (uint64, error) {
	if err := s.reachable(); err != nil {
		return 0, fmt.Errorf("store: put: %w", err)
	}
	if len(data) == 0 {
		return 0, errors.New("store: put: empty document")
	}
	if len(data) > s.opts.MaxDocumentBytes {
		return 0, fmt.Errorf("store: put: document is %d bytes, limit %d: %w", len(data), s.opts.MaxDocumentBytes, ErrTooLarge)
	}
	if meta.Time.IsZero() {
		meta.Time = time.Now().UTC()
	}
	rec := record{SHA256: digest(data), Size: len(data), Meta: meta}
	if len(data) <= s.opts.InlineMaxBytes {
		rec.inline = data
	} else {
		var err error
		if rec.Object, rec.Encoding, err = s.putObject(ctx, rec.SHA256, data); err != nil {
			return 0, fmt.Errorf("store: put: %w", err)
		}
	}
	val, err := rec.encode()
	if err != nil {
		return 0, fmt.Errorf("store: put: %w", err)
	}
	var rev uint64
	if expected == 0 {
		rev, err = s.head.Create(ctx, headKey, val)
	} else {
		rev, err = s.head.Update(ctx, headKey, val, expected)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, s.conflict(ctx)
	}
	if err != nil {
		return 0, fmt.Errorf("store: put: update head: %w", err)
	}
	// The version is written once the head is: the history record is
	// best-effort. Try it briefly here, so a Put never waits seconds for a
	// history stream that is electing a leader, and else in the background
	// (Version falls back to the head's revisions meanwhile).
	if !s.tryHistory(ctx, rev, rec, historyTry) {
		go s.writeHistory(context.WithoutCancel(ctx), rev, rec)
	}
	if expected != 0 {
		go s.backfill(context.WithoutCancel(ctx), expected)
	}
	return rev, nil
}

// conflict builds the error for a lost compare-and-swap.
func (s *JetStream) conflict(ctx context.Context) error {
	e, err := s.head.Get(ctx, headKey)
	switch {
	case err == nil:
		return &ConflictError{Current: e.Revision()}
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return &ConflictError{}
	default:
		return fmt.Errorf("%w (reading the current version failed: %v)", &ConflictError{}, err)
	}
}

// putObject stores document data, whose SHA-256 is sum, in the object
// store unless it is there already, compressed when s.compress says so,
// and returns the object's name and encoding. Objects are content
// addressed: a plain one is named sum, a zstd one sum+".zst".
func (s *JetStream) putObject(ctx context.Context, sum string, data []byte) (name, encoding string, err error) {
	name, body := sum, data
	if s.compress(ctx) {
		codec, err := s.zstd()
		if err != nil {
			return "", "", err
		}
		name, encoding, body = sum+".zst", encodingZstd, codec.enc.EncodeAll(data, make([]byte, 0, len(data)/8))
	}
	info, err := s.docs.GetInfo(ctx, name)
	if err == nil && !info.Deleted && info.Size == uint64(len(body)) {
		return name, encoding, nil // same name, same bytes
	}
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return "", "", fmt.Errorf("stat object %s: %w", name, err)
	}
	if _, err := s.docs.PutBytes(ctx, name, body); err != nil {
		return "", "", fmt.Errorf("put object %s: %w", name, err)
	}
	s.last.set(sum, data)
	return name, encoding, nil
}

// historyTry bounds the history write made inside Put.
const historyTry = 500 * time.Millisecond

// tryHistory writes the history record of version v within d and reports
// whether it is stored.
func (s *JetStream) tryHistory(ctx context.Context, v uint64, rec record, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	defer cancel()
	rec.Version = v
	val, err := rec.encode()
	if err != nil {
		return false
	}
	_, err = s.history.Create(ctx, historyKey(v), val)
	return err == nil || errors.Is(err, jetstream.ErrKeyExists)
}

// writeHistory records version v idempotently, even if ctx has ended.
func (s *JetStream) writeHistory(ctx context.Context, v uint64, rec record) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bestEffortTimeout)
	defer cancel()
	rec.Version = v
	val, err := rec.encode()
	if err == nil {
		_, err = s.history.Create(ctx, historyKey(v), val)
	}
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		s.log.Warn("store: history record not written; it will be backfilled", "version", v, "err", err)
	}
}

// backfill writes the history record of version v from the head key's
// revisions if it is missing (a writer crashed between head and history).
func (s *JetStream) backfill(ctx context.Context, v uint64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bestEffortTimeout)
	defer cancel()
	_, err := s.history.Get(ctx, historyKey(v))
	if err == nil || !errors.Is(err, jetstream.ErrKeyNotFound) {
		return
	}
	e, err := s.head.GetRevision(ctx, headKey, v)
	if err != nil {
		s.log.Warn("store: cannot backfill history record", "version", v, "err", err)
		return
	}
	rec, err := decodeRecord(e.Value())
	if err != nil {
		s.log.Warn("store: cannot backfill history record", "version", v, "err", err)
		return
	}
	s.writeHistory(ctx, v, rec)
}

// entry decodes a stored record and, if withData, fetches its document.
func (s *JetStream) entry(ctx context.Context, v uint64, value []byte, withData bool) (Entry, record, error) {
	rec, err := decodeRecord(value)
	if err != nil {
		return Entry{}, rec, fmt.Errorf("version %d: %w", v, err)
	}
	e := Entry{Version: v, Meta: rec.Meta, SHA256: rec.SHA256}
	if !withData {
		return e, rec, nil
	}
	data := rec.inline
	if rec.Object != "" {
		// The kept bytes are checked against their name, their SHA-256.
		if kept, ok := s.last.get(rec.SHA256); ok && len(kept) == rec.Size {
			e.Data = kept
			return e, rec, nil
		}
		data, err = s.readObject(ctx, rec)
		if err != nil {
			return Entry{}, rec, fmt.Errorf("version %d: get object %s: %w", v, rec.Object, err)
		}
	}
	if err := rec.verify(data); err != nil {
		return Entry{}, rec, fmt.Errorf("version %d: %w", v, err)
	}
	if rec.Object != "" {
		s.last.set(rec.SHA256, data)
	}
	e.Data, e.SHA256 = data, rec.SHA256
	return e, rec, nil
}

// readObject reads the document of rec from its object, decoded.
func (s *JetStream) readObject(ctx context.Context, rec record) ([]byte, error) {
	body, err := s.readObjectBytes(ctx, rec.Object)
	if err != nil || rec.Encoding == "" {
		return body, err
	}
	codec, err := s.zstd()
	if err != nil {
		return nil, err
	}
	// The frame is decoded into a slice of the document's size; one that
	// decodes to more is refused (the decoder's memory is bounded by the
	// document limit too), and one that decodes to other bytes fails the
	// digest check.
	data, err := codec.dec.DecodeAll(body, make([]byte, 0, rec.Size))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", rec.Encoding, err)
	}
	return data, nil
}

// readObjectBytes reads object name whole into a slice of its size.
// ObjectStore.GetBytes grows a buffer as the chunks arrive, which for a
// 40 MB document (100,000 schedules) cleared and copied several times its
// size and took most of a replica's time to apply a version.
func (s *JetStream) readObjectBytes(ctx context.Context, name string) ([]byte, error) {
	res, err := s.docs.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return nil, err
	}
	if info.Size > uint64(math.MaxInt32) {
		return nil, fmt.Errorf("object of %d bytes", info.Size)
	}
	// An object longer than its info says is cut short here; the record's
	// size and digest check (entry) refuses it then.
	data := make([]byte, info.Size)
	if _, err := io.ReadFull(res, data); err != nil {
		return nil, err
	}
	return data, nil
}

// lookup finds version v in the history bucket, falling back to the head
// key's retained revisions when its history record is missing.
func (s *JetStream) lookup(ctx context.Context, v uint64, withData bool) (Entry, error) {
	if v == 0 {
		return Entry{}, ErrNotFound
	}
	kve, err := s.history.Get(ctx, historyKey(v))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		kve, err = s.head.GetRevision(ctx, headKey, v)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Entry{}, ErrNotFound
		}
		if err == nil {
			// Repair the history in the background: a read must not wait
			// for a write (after a node failure the history stream may be
			// electing a leader for seconds, while this read succeeds).
			go s.backfill(context.WithoutCancel(ctx), v)
		}
	}
	if err != nil {
		return Entry{}, err
	}
	e, _, err := s.entry(ctx, v, kve.Value(), withData)
	return e, err
}

// Version returns version v with its data, or ErrNotFound.
func (s *JetStream) Version(ctx context.Context, v uint64) (Entry, error) {
	e, err := s.lookup(ctx, v, true)
	if err != nil {
		return Entry{}, fmt.Errorf("store: version %d: %w", v, err)
	}
	return e, nil
}

// VersionMeta is Version without the document: version, metadata and
// SHA256, from the history record alone.
func (s *JetStream) VersionMeta(ctx context.Context, v uint64) (Entry, error) {
	e, err := s.lookup(ctx, v, false)
	if err != nil {
		return Entry{}, fmt.Errorf("store: version %d: %w", v, err)
	}
	return e, nil
}

// History lists at most limit versions (all when limit <= 0), newest first,
// with Data left nil. An empty store yields an empty list.
func (s *JetStream) History(ctx context.Context, limit int) ([]Entry, error) {
	keys, err := s.history.Keys(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, fmt.Errorf("store: history: list keys: %w", err)
	}
	versions := make([]uint64, 0, len(keys)+1)
	for _, k := range keys {
		v, err := strconv.ParseUint(strings.TrimPrefix(k, historyPrefix), 10, 64)
		if err == nil && strings.HasPrefix(k, historyPrefix) {
			versions = append(versions, v)
		}
	}
	// The head's record may be missing after a crash; list it anyway.
	if he, err := s.head.Get(ctx, headKey); err == nil {
		if !slices.Contains(versions, he.Revision()) {
			versions = append(versions, he.Revision())
		}
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("store: history: get head: %w", err)
	}
	slices.Sort(versions)
	slices.Reverse(versions)
	if limit > 0 && len(versions) > limit {
		versions = versions[:limit]
	}
	out := make([]Entry, 0, len(versions))
	for _, v := range versions {
		e, err := s.lookup(ctx, v, false)
		if errors.Is(err, ErrNotFound) {
			continue // removed between listing and reading
		}
		if err != nil {
			return nil, fmt.Errorf("store: history: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}
