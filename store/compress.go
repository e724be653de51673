package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/nats-io/nats.go/jetstream"
)

// Compression says when [JetStream.Put] compresses a document it stores in
// the object store (documents over Options.InlineMaxBytes). Compressed,
// the 39 MB document of 100,000 schedules is 2.5 MB: each replica reads
// it in a fraction of the time, and the object store keeps 15 times less.
type Compression int

const (
	// CompressAuto compresses when every live replica has announced
	// (Presence) that it reads compressed documents, so that during a
	// rolling upgrade the replicas of the earlier release, which cannot,
	// keep applying new versions. With no replica announced, it compresses.
	CompressAuto Compression = iota
	// CompressNever stores documents as they are: set it before
	// downgrading to a release that does not read compressed documents,
	// and write a version.
	CompressNever
	// CompressAlways compresses every document stored as an object.
	CompressAlways
)

// String returns the setting's value for c.
func (c Compression) String() string {
	switch c {
	case CompressAuto:
		return "auto"
	case CompressNever:
		return "never"
	case CompressAlways:
		return "always"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

// ParseCompression parses a setting's value: auto, never or always.
func ParseCompression(s string) (Compression, error) {
	for c := CompressAuto; c <= CompressAlways; c++ {
		if strings.EqualFold(strings.TrimSpace(s), c.String()) {
			return c, nil
		}
	}
	return 0, fmt.Errorf("%q: want auto, never or always", s)
}

// compressCheckTimeout bounds CompressAuto's listing of the replicas; a
// listing that fails or times out stores the document uncompressed.
const compressCheckTimeout = 500 * time.Millisecond

// compress reports whether a document about to be stored as an object
// should be compressed.
func (s *JetStream) compress(ctx context.Context) bool {
	switch s.opts.Compression {
	case CompressAlways:
		return true
	case CompressNever:
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, compressCheckTimeout)
	defer cancel()
	reps, err := s.liveReplicas(ctx)
	if err != nil {
		s.log.Warn("store: replicas not listed; storing the document uncompressed", "err", err)
		return false
	}
	for _, r := range reps {
		if !slices.Contains(r.Encodings, encodingZstd) {
			s.log.Info("store: storing the document uncompressed: a replica of an earlier release does not read compressed documents",
				"replica", r.ID)
			return false
		}
	}
	return true
}

// liveReplicas lists the replicas announced in the presence bucket (none
// when it does not exist yet).
func (s *JetStream) liveReplicas(ctx context.Context) ([]ReplicaStatus, error) {
	kv, err := s.js.KeyValue(ctx, s.opts.Prefix+"_replicas")
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s_replicas: %w", s.opts.Prefix, err)
	}
	return listReplicas(ctx, kv)
}

// zstdCodec compresses and decompresses whole documents; both halves are
// safe for concurrent use (EncodeAll, DecodeAll).
type zstdCodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// newZstdCodec makes the codec, created on first use: a store that never
// holds a large document never allocates its state.
func newZstdCodec() (zstdCodec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return zstdCodec{}, fmt.Errorf("zstd encoder: %w", err)
	}
	// A frame may not decode to more than a slice can hold; the record's
	// size and digest check refuses any other mismatch.
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxMemory(math.MaxInt32))
	if err != nil {
		return zstdCodec{}, fmt.Errorf("zstd decoder: %w", err)
	}
	return zstdCodec{enc: enc, dec: dec}, nil
}
