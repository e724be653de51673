package event

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names (https://www.standardwebhooks.com).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every secret; the rest is the base64 of the key.
const SecretPrefix = "whsec_"

// Secret key sizes, in bytes of the decoded key. The Standard Webhooks
// specification asks for 24 to 64 random bytes; NewSecret makes 32.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock before Verify rejects it (replay protection).
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify and ParseSecret.
var (
	ErrInvalidSecret  = errors.New("webhook: invalid secret")
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrTimestamp      = errors.New("webhook: webhook-timestamp is invalid or outside the tolerance")
	ErrSignature      = errors.New("webhook: no signature matches")
)

// NewSecret returns a new random secret: "whsec_" followed by the
// base64 of 32 random bytes.
func NewSecret() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("webhook: generate secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// ParseSecret returns the HMAC key of a "whsec_…" secret. The key must be
// standard base64 of MinSecretBytes to MaxSecretBytes bytes; the error says
// which rule the secret breaks, without quoting it.
func ParseSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: must start with %q", ErrInvalidSecret, SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: the part after %q is not standard base64", ErrInvalidSecret, SecretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("%w: the key is %d bytes, want %d to %d random bytes", ErrInvalidSecret, len(key), MinSecretBytes, MaxSecretBytes)
	}
	return key, nil
}

// Sign returns the webhook-signature value ("v1,<base64>") of a message:
// HMAC-SHA256 over "<id>.<unix seconds>.<body>" keyed by the decoded
// secret.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := ParseSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, timestamp.Unix(), body)), nil
}

// mac is the raw HMAC-SHA256 of the signed content.
func mac(key []byte, id string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// SetSignatureHeaders sets the three Standard Webhooks headers of a
// delivery signed with key (the decoded secret, see ParseSecret).
func SetSignatureHeaders(h http.Header, key []byte, id string, timestamp time.Time, body []byte) {
	unix := timestamp.Unix()
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(unix, 10))
	h.Set(HeaderSignature, "v1,"+base64.StdEncoding.EncodeToString(mac(key, id, unix, body)))
}

// Verify checks a received webhook: the three headers are present, the
// timestamp is within tolerance of now (DefaultTolerance when tolerance
// is 0), and one of the space-separated "v1,<base64>" signatures is the
// HMAC of the body under secret. Several signatures allow key rotation.
// body must be the raw request body, byte for byte. Signatures are
// compared in constant time.
//
// The secret may be given with or without its "whsec_" prefix.
func Verify(secret string, headers http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if !strings.HasPrefix(secret, SecretPrefix) {
		secret = SecretPrefix + secret
	}
	key, err := ParseSecret(secret)
	if err != nil {
		return err
	}
	id, ts, sigs := headers.Get(HeaderID), headers.Get(HeaderTimestamp), headers.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, ts)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s from the receiver's clock (tolerance %s)", ErrTimestamp, d.Round(time.Second), tolerance)
	}
	want := mac(key, id, unix, body)
	for _, s := range strings.Fields(sigs) {
		version, enc, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}
