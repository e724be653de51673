package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Record formats. A release that knows only format 1 refuses a format 2
// record with "unsupported format 2" rather than misreading it.
const (
	// formatPlain: the document is inline or a plain object.
	formatPlain = 1
	// formatEncoded: the document is an object stored in Encoding.
	formatEncoded = 2
)

// encodingZstd is the one document encoding written: a zstd frame of the
// document. A 100,000-schedule document of 39 MB is 2.5 MB compressed,
// which a replica reads in a tenth of the time.
const encodingZstd = "zstd"

// readEncodings are the object encodings this release reads: Presence
// announces them, and Put compresses (CompressAuto) only when every live
// replica announced that it reads zstd.
func readEncodings() []string { return []string{encodingZstd} }

// record is what the head key and each history key hold: one line of
// compact JSON, a newline, then the document bytes when they are inline.
// When Object is set, the body lives in the object store under that name
// and nothing follows the newline.
type record struct {
	Format  int    `json:"f"`
	Version uint64 `json:"version,omitempty"` // set in history records only
	SHA256  string `json:"sha256"`
	Size    int    `json:"size"`
	Object  string `json:"object,omitempty"`
	// Encoding is how the object holds the document ("zstd"; empty: as
	// is). SHA256 and Size are those of the document, not the object.
	Encoding string `json:"encoding,omitempty"`
	Meta     Meta   `json:"meta"`

	inline []byte // document bytes when Object == ""
}

// digest returns the hex SHA-256 of data.
func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// encode renders r in its stored form.
func (r record) encode() ([]byte, error) {
	r.Format = formatPlain
	if r.Encoding != "" {
		r.Format = formatEncoded
	}
	head, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	// encoding/json never emits a raw newline, so it safely ends the header.
	out := make([]byte, 0, len(head)+1+len(r.inline))
	out = append(out, head...)
	out = append(out, '\n')
	return append(out, r.inline...), nil
}

// decodeRecord parses a stored record. The inline body aliases b.
func decodeRecord(b []byte) (record, error) {
	head, body, ok := bytes.Cut(b, []byte{'\n'})
	if !ok {
		return record{}, errors.New("decode record: missing header terminator")
	}
	var r record
	if err := json.Unmarshal(head, &r); err != nil {
		return record{}, fmt.Errorf("decode record: %w", err)
	}
	switch {
	case r.Format == formatPlain && r.Encoding == "":
	case r.Format == formatEncoded && r.Encoding == encodingZstd && r.Object != "":
	default:
		return record{}, fmt.Errorf("decode record: unsupported format %d (encoding %q)", r.Format, r.Encoding)
	}
	if r.Object == "" {
		if len(body) != r.Size {
			return record{}, fmt.Errorf("decode record: inline body is %d bytes, want %d", len(body), r.Size)
		}
		r.inline = body
	}
	return r, nil
}

// verify checks that data is the document r describes.
func (r record) verify(data []byte) error {
	if len(data) != r.Size {
		return fmt.Errorf("document is %d bytes, want %d", len(data), r.Size)
	}
	if got := digest(data); got != r.SHA256 {
		return fmt.Errorf("document sha256 %s, want %s", got, r.SHA256)
	}
	return nil
}
