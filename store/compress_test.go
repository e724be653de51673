package store

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
)

// compressible is a document of about n bytes that compresses well, as
// real ones do (the same rules repeated across schedules).
func compressible(n int, seed byte) []byte {
	var b bytes.Buffer
	b.WriteString(`{"schedules":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":"team-`)
		b.WriteString(strings.Repeat(string('a'+rune(i%26)), 1+i%7))
		b.WriteString(`","rules":["open-weekdays","closed-holidays"],"seed":"`)
		b.WriteByte(seed)
		b.WriteString(`"}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// The object of a large document is zstd-compressed when the setting and,
// in auto, every announced replica allow it, and reads back byte for byte
// in a store that did not write it.
func TestCompression(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	ctx := t.Context()
	announceOld := func(t *testing.T, p *Presence, kv jetstream.KeyValue) {
		// What a replica of a release before compression announces.
		if _, err := kv.Put(ctx, "old-replica", []byte(`{"version":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	announceNew := func(t *testing.T, p *Presence, _ jetstream.KeyValue) {
		if err := p.Announce(ctx, "new-replica", 1); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name        string
		compression Compression
		announce    []func(*testing.T, *Presence, jetstream.KeyValue)
		want        bool // compressed
	}{
		{"auto, no replica announced", CompressAuto, nil, true},
		{"auto, every replica reads zstd", CompressAuto, []func(*testing.T, *Presence, jetstream.KeyValue){announceNew}, true},
		{"auto, a replica of an earlier release", CompressAuto, []func(*testing.T, *Presence, jetstream.KeyValue){announceNew, announceOld}, false},
		{"never", CompressNever, nil, false},
		{"always, a replica of an earlier release", CompressAlways, []func(*testing.T, *Presence, jetstream.KeyValue){announceOld}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestJetStream(t, js, Options{Compression: tc.compression})
			if tc.announce != nil {
				p, err := NewPresence(ctx, js, Options{Prefix: s.opts.Prefix})
				if err != nil {
					t.Fatal(err)
				}
				kv, err := js.KeyValue(ctx, s.opts.Prefix+"_replicas")
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range tc.announce {
					a(t, p, kv)
				}
			}
			doc := compressible(1<<20, 'x')
			v := mustPut(t, s, string(doc), 0)

			name := objectOf(t, s, v)
			info, err := s.docs.GetInfo(ctx, name)
			if err != nil {
				t.Fatalf("object %s: %v", name, err)
			}
			compressed := strings.HasSuffix(name, ".zst")
			if compressed != tc.want {
				t.Fatalf("object %s (%d bytes) for a %d-byte document: compressed %v, want %v", name, info.Size, len(doc), compressed, tc.want)
			}
			if compressed && info.Size*10 > uint64(len(doc)) {
				t.Errorf("compressed object is %d bytes for a %d-byte document", info.Size, len(doc))
			}
			if !compressed && (name != digest(doc) || info.Size != uint64(len(doc))) {
				t.Errorf("plain object %s of %d bytes, want %s of %d", name, info.Size, digest(doc), len(doc))
			}
			// Another replica's store reads it from the object store.
			other := newTestJetStream(t, js, Options{Prefix: s.opts.Prefix, Compression: CompressNever})
			e, err := other.Version(ctx, v)
			if err != nil || !bytes.Equal(e.Data, doc) || e.SHA256 != digest(doc) {
				t.Fatalf("Version(%d) by another store: %d bytes, sha %s, %v", v, len(e.Data), e.SHA256, err)
			}
		})
	}
}

// A compressed object that does not decode, or decodes to other bytes
// than its record names, is an error, never a document.
func TestCompressedObjectDamaged(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	ctx := t.Context()
	s := newTestJetStream(t, js, Options{Compression: CompressAlways})
	doc := compressible(1<<20, 'x')
	v := mustPut(t, s, string(doc), 0)
	name := objectOf(t, s, v)
	codec, err := s.zstd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"not zstd", "not a zstd frame", "decode zstd"},
		{"another document", string(codec.enc.EncodeAll(compressible(1<<20, 'y'), nil)), "sha256"},
		{"cut short", string(codec.enc.EncodeAll(doc, nil)[:1000]), "decode zstd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.docs.PutBytes(ctx, name, []byte(tc.body)); err != nil {
				t.Fatal(err)
			}
			reader := newTestJetStream(t, js, Options{Prefix: s.opts.Prefix})
			e, err := reader.Version(ctx, v)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Version(%d) of a damaged object: %d bytes, err %v; want an error with %q", v, len(e.Data), err, tc.want)
			}
		})
	}
}

// Records of the two formats decode; anything else is refused with its
// format named, as a release knowing only format 1 refuses format 2.
func TestDecodeRecordFormats(t *testing.T) {
	for _, tc := range []struct {
		name, head string
		ok         bool
	}{
		{"inline", `{"f":1,"sha256":"x","size":0,"meta":{}}`, true},
		{"plain object", `{"f":1,"sha256":"x","size":9,"object":"x","meta":{}}`, true},
		{"zstd object", `{"f":2,"sha256":"x","size":9,"object":"x.zst","encoding":"zstd","meta":{}}`, true},
		{"format 1 with an encoding", `{"f":1,"sha256":"x","size":9,"object":"x.zst","encoding":"zstd","meta":{}}`, false},
		{"format 2 inline", `{"f":2,"sha256":"x","size":0,"encoding":"zstd","meta":{}}`, false},
		{"unknown encoding", `{"f":2,"sha256":"x","size":9,"object":"x.br","encoding":"br","meta":{}}`, false},
		{"format 3", `{"f":3,"sha256":"x","size":9,"object":"x","meta":{}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeRecord([]byte(tc.head + "\n"))
			if (err == nil) != tc.ok {
				t.Fatalf("decodeRecord(%s): %v, want ok %v", tc.head, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "unsupported format") {
				t.Fatalf("error %q does not say the format is unsupported", err)
			}
		})
	}
	// What Put writes round-trips.
	for _, enc := range []string{"", encodingZstd} {
		r := record{SHA256: "abc", Size: 9, Object: "abc", Encoding: enc}
		b, err := r.encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRecord(b)
		if err != nil || got.Encoding != enc {
			t.Fatalf("round trip of encoding %q: %+v, %v", enc, got, err)
		}
	}
}

func TestParseCompression(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Compression
		ok   bool
	}{
		{"auto", CompressAuto, true},
		{" Never ", CompressNever, true},
		{"ALWAYS", CompressAlways, true},
		{"", 0, false},
		{"zstd", 0, false},
	} {
		got, err := ParseCompression(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseCompression(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "auto, never or always") {
			t.Errorf("ParseCompression(%q): %q does not list the values", tc.in, err)
		}
	}
	if _, err := NewJetStream(context.Background(), nil, Options{Compression: Compression(7)}); err == nil {
		t.Error("NewJetStream with an unknown compression: no error")
	}
}
