package event

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks specification's example, as used by its reference
// libraries' tests.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignStandardWebhooksVector(t *testing.T) {
	got, err := Sign(specSecret, specID, time.Unix(specTimestamp, 0), []byte(specBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != specSignature {
		t.Errorf("Sign = %s, want the specification's %s", got, specSignature)
	}
	// The same, computed independently of mac().
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(specSecret, SecretPrefix))
	h := hmac.New(sha256.New, key)
	h.Write([]byte(specID + ".1614265330." + specBody))
	if want := "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("Sign = %s, independent HMAC %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(specTimestamp, 0)
	other, _ := NewSecret()
	otherSig, _ := Sign(other, specID, now, []byte(specBody))
	headers := func(id, ts, sig string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: sig} {
			if v != "" {
				h.Set(k, v)
			}
		}
		return h
	}
	ts := "1614265330"
	tests := []struct {
		name    string
		secret  string
		h       http.Header
		body    string
		now     time.Time
		wantErr error
	}{
		{"spec vector", specSecret, headers(specID, ts, specSignature), specBody, now, nil},
		{"secret without prefix", strings.TrimPrefix(specSecret, SecretPrefix), headers(specID, ts, specSignature), specBody, now, nil},
		{"rotation: one of several matches", specSecret, headers(specID, ts, otherSig+" v2,xyz "+specSignature), specBody, now, nil},
		{"clock 4m59s ahead", specSecret, headers(specID, ts, specSignature), specBody, now.Add(299 * time.Second), nil},
		{"clock 4m59s behind", specSecret, headers(specID, ts, specSignature), specBody, now.Add(-299 * time.Second), nil},
		{"tampered body", specSecret, headers(specID, ts, specSignature), `{"test": 2432232315}`, now, ErrSignature},
		{"tampered id", specSecret, headers("msg_other", ts, specSignature), specBody, now, ErrSignature},
		{"wrong secret", other, headers(specID, ts, specSignature), specBody, now, ErrSignature},
		{"old timestamp", specSecret, headers(specID, ts, specSignature), specBody, now.Add(6 * time.Minute), ErrTimestamp},
		{"future timestamp", specSecret, headers(specID, ts, specSignature), specBody, now.Add(-6 * time.Minute), ErrTimestamp},
		{"timestamp not a number", specSecret, headers(specID, "yesterday", specSignature), specBody, now, ErrTimestamp},
		{"signature of another timestamp", specSecret, headers(specID, "1614265331", specSignature), specBody, now, ErrSignature},
		{"unknown version only", specSecret, headers(specID, ts, "v2,"+strings.TrimPrefix(specSignature, "v1,")), specBody, now, ErrSignature},
		{"garbage signature", specSecret, headers(specID, ts, "v1,!!!"), specBody, now, ErrSignature},
		{"missing signature", specSecret, headers(specID, ts, ""), specBody, now, ErrMissingHeaders},
		{"missing id", specSecret, headers("", ts, specSignature), specBody, now, ErrMissingHeaders},
		{"invalid secret", "whsec_short", headers(specID, ts, specSignature), specBody, now, ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.h, []byte(tt.body), tt.now, 0)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyTolerance(t *testing.T) {
	sig, _ := Sign(specSecret, specID, time.Unix(specTimestamp, 0), []byte(specBody))
	h := http.Header{}
	h.Set(HeaderID, specID)
	h.Set(HeaderTimestamp, "1614265330")
	h.Set(HeaderSignature, sig)
	now := time.Unix(specTimestamp, 0).Add(time.Minute)
	if err := Verify(specSecret, h, []byte(specBody), now, 30*time.Second); !errors.Is(err, ErrTimestamp) {
		t.Errorf("1 min old with 30 s tolerance: %v", err)
	}
	if err := Verify(specSecret, h, []byte(specBody), now, 2*time.Minute); err != nil {
		t.Errorf("1 min old with 2 min tolerance: %v", err)
	}
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		name, secret, wantMsg string
	}{
		{"spec example (24 bytes)", specSecret, ""},
		{"32 bytes", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 32)), ""},
		{"64 bytes", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 64)), ""},
		{"no prefix", strings.TrimPrefix(specSecret, "whsec_"), `must start with "whsec_"`},
		{"not base64", "whsec_not base64!", "not standard base64"},
		{"url-safe base64", "whsec_" + base64.URLEncoding.EncodeToString([]byte(strings.Repeat("\xff", 30))), "not standard base64"},
		{"too short", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16)), "16 bytes, want 24 to 64"},
		{"too long", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)), "65 bytes, want 24 to 64"},
		{"empty", "", `must start with "whsec_"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSecret(tt.secret)
			if tt.wantMsg == "" {
				if err != nil {
					t.Errorf("ParseSecret: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidSecret) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ParseSecret = %v, want ErrInvalidSecret saying %q", err, tt.wantMsg)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret()
	key, err := ParseSecret(a)
	if err != nil || len(key) != 32 || a == b {
		t.Errorf("NewSecret = %q (key %d bytes, err %v), second %q", a, len(key), err, b)
	}
}
