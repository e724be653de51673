package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
)

// writeFile writes content to name in dir and returns its path.
func writeTestFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testPKI is a throwaway CA with a server certificate for 127.0.0.1 and a
// client certificate, as PEM files.
type testPKI struct {
	caFile, serverCert, serverKey, clientCert, clientKey string
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (certFile, keyFile string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return writeTestFile(t, dir, name+".pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
			writeTestFile(t, dir, name+"-key.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	}
	p := testPKI{caFile: writeTestFile(t, dir, "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))}
	p.serverCert, p.serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

// The options for an external cluster connect to servers that want a
// user and password, an nkey, or TLS with client certificates; wrong or
// missing credentials fail with the cluster's answer.
func TestNATSClientOptionsConnect(t *testing.T) {
	dir := t.TempDir()
	userSrv := natstest.Server(t, func(o *server.Options) {
		o.Users = []*server.User{{Username: "svc", Password: "s3cret-password-0123"}}
	})
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	nkeySrv := natstest.Server(t, func(o *server.Options) { o.Nkeys = []*server.NkeyUser{{Nkey: pub}} })
	pki := newTestPKI(t)
	tlsSrv := natstest.Server(t, func(o *server.Options) {
		cfg, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: pki.serverCert, KeyFile: pki.serverKey, CaFile: pki.caFile, Verify: true})
		if err != nil {
			t.Fatal(err)
		}
		o.TLSConfig, o.TLS, o.TLSVerify = cfg, true, true
		o.Users = []*server.User{{Username: "svc", Password: "s3cret-password-0123"}}
	})
	tlsURL := strings.Replace(tlsSrv.ClientURL(), "nats://", "tls://", 1)
	passwordFile := writeTestFile(t, dir, "password", []byte("s3cret-password-0123\n"))
	seedFile := writeTestFile(t, dir, "user.nk", seed)
	otherSeed, _ := nkeys.CreateUser()
	otherSeedBytes, _ := otherSeed.Seed()
	otherSeedFile := writeTestFile(t, dir, "other.nk", otherSeedBytes)

	tests := []struct {
		name   string
		url    string
		client NATSClientOptions
		err    string // "" for success
	}{
		{"user and password", userSrv.ClientURL(), NATSClientOptions{User: "svc", Password: "s3cret-password-0123"}, ""},
		{"user and password file", userSrv.ClientURL(), NATSClientOptions{User: "svc", PasswordFile: passwordFile}, ""},
		{"wrong password", userSrv.ClientURL(), NATSClientOptions{User: "svc", Password: "wrong-password-0123"}, "Authorization Violation"},
		{"no credentials", userSrv.ClientURL(), NATSClientOptions{}, "Authorization Violation"},
		{"nkey", nkeySrv.ClientURL(), NATSClientOptions{NKeyFile: seedFile}, ""},
		{"another nkey", nkeySrv.ClientURL(), NATSClientOptions{NKeyFile: otherSeedFile}, "Authorization Violation"},
		{"TLS with a client certificate", tlsURL, NATSClientOptions{User: "svc", Password: "s3cret-password-0123",
			TLSCA: pki.caFile, TLSCert: pki.clientCert, TLSKey: pki.clientKey}, ""},
		{"TLS without the CA", tlsURL, NATSClientOptions{User: "svc", Password: "s3cret-password-0123",
			TLSCert: pki.clientCert, TLSKey: pki.clientKey}, "certificate"},
		{"TLS without a client certificate", tlsURL, NATSClientOptions{User: "svc", Password: "s3cret-password-0123",
			TLSCA: pki.caFile}, "connect to nats-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			o := Options{NATSURL: tt.url, NATSClient: tt.client}
			if err := o.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			c, err := OpenStore(ctx, StoreOptions{NATSURL: tt.url, Client: tt.client, Logger: slog.New(slog.DiscardHandler)})
			if tt.err == "" {
				if err != nil {
					t.Fatalf("OpenStore: %v", err)
				}
				defer c.Close()
				if _, err := c.Store.History(ctx, 1); err != nil {
					t.Errorf("read the store: %v", err)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("OpenStore succeeded, want %q", tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %q, want it to contain %q", err, tt.err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// Bad client options stop start-up naming the setting, before anything
// connects.
func TestNATSClientOptionsValidate(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t)
	kp, _ := nkeys.CreateUser()
	seed, _ := kp.Seed()
	seedFile := writeTestFile(t, dir, "user.nk", seed)
	notPEM := writeTestFile(t, dir, "not.pem", []byte("hello"))
	empty := writeTestFile(t, dir, "empty", []byte("\n"))
	missing := filepath.Join(dir, "missing")
	url := "nats://127.0.0.1:4222"
	tests := []struct {
		name   string
		url    string
		client NATSClientOptions
		want   string
	}{
		{"without nats-url", "", NATSClientOptions{User: "u", Password: "p"}, "nats-user, nats-password: only with nats-url"},
		{"two ways", url, NATSClientOptions{User: "u", Password: "p", NKeyFile: seedFile}, "nats-nkey, nats-user: choose one way"},
		{"user without password", url, NATSClientOptions{User: "u"}, "nats-user: needs a password: SCHEDMGR_NATS_PASSWORD or nats-password-file"},
		{"password without user", url, NATSClientOptions{Password: "p"}, "nats-password: a password needs nats-user"},
		{"password twice", url, NATSClientOptions{User: "u", Password: "p", PasswordFile: seedFile}, "nats-password-file: the password is also set"},
		{"missing password file", url, NATSClientOptions{User: "u", PasswordFile: missing}, "nats-password-file: open " + missing},
		{"empty password file", url, NATSClientOptions{User: "u", PasswordFile: empty}, "nats-password-file: " + empty + " is empty"},
		{"missing creds", url, NATSClientOptions{CredsFile: missing}, "nats-creds: open " + missing},
		{"not a creds file", url, NATSClientOptions{CredsFile: seedFile}, "nats-creds: " + seedFile + ": no user JWT"},
		{"not a seed", url, NATSClientOptions{NKeyFile: notPEM}, "nats-nkey: " + notPEM},
		{"missing CA", url, NATSClientOptions{TLSCA: missing}, "nats-tls-ca: open " + missing},
		{"CA not PEM", url, NATSClientOptions{TLSCA: notPEM}, "nats-tls-ca: " + notPEM + ": no PEM certificate"},
		{"cert without key", url, NATSClientOptions{TLSCert: pki.clientCert}, "nats-tls-cert: needs nats-tls-key"},
		{"key without cert", url, NATSClientOptions{TLSKey: pki.clientKey}, "nats-tls-key: needs nats-tls-cert"},
		{"key of another cert", url, NATSClientOptions{TLSCert: pki.clientCert, TLSKey: pki.serverKey}, "nats-tls-cert, nats-tls-key: "},
		{"credentials twice", "nats://u:p@127.0.0.1:4222", NATSClientOptions{User: "u", Password: "p"}, "nats-url: nats://u:xxxxx@127.0.0.1:4222 has credentials in it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Options{NATSURL: tt.url, NATSClient: tt.client}.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate: %v, want %q", err, tt.want)
			}
		})
	}
	if err := (Options{NATSURL: url, NATSClient: NATSClientOptions{TLSCA: pki.caFile, TLSCert: pki.clientCert, TLSKey: pki.clientKey}}).Validate(); err != nil {
		t.Errorf("valid TLS options: %v", err)
	}
}
