package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// NATSClientOptions are the credentials and TLS settings of the connection
// to an external NATS cluster (nats-url). At most one way to authenticate:
// a credentials file, an nkey seed file, or a user and password (a
// user:password in the URL also works, alone). Every field names its file;
// none holds key material but Password, which cmd takes from the
// environment or a file, never from a flag that ps would show.
type NATSClientOptions struct {
	// CredsFile is a NATS credentials file (a user JWT and its nkey seed;
	// "nsc generate creds" writes one). Setting nats-creds.
	CredsFile string
	// NKeyFile holds a user nkey seed (SU...). Setting nats-nkey.
	NKeyFile string
	// User and Password authenticate with a user and password. Settings
	// nats-user and nats-password (SCHEDMGR_NATS_PASSWORD).
	User, Password string
	// PasswordFile holds the password (a trailing newline is ignored),
	// instead of Password. Setting nats-password-file.
	PasswordFile string
	// TLSCA is a PEM file of the CAs that signed the servers'
	// certificates (default: the system's). Setting nats-tls-ca.
	TLSCA string
	// TLSCert and TLSKey are a PEM client certificate and its key, for
	// servers that verify clients. Settings nats-tls-cert and nats-tls-key.
	TLSCert, TLSKey string
}

// isZero reports whether no option is set.
func (o NATSClientOptions) isZero() bool { return o == NATSClientOptions{} }

// validate checks the options against natsURL, reading every file they
// name, and reports each problem with the setting it comes from.
func (o NATSClientOptions) validate(natsURL string) error {
	_, err := o.natsOptions(natsURL)
	return err
}

// natsOptions returns the connection options of o, for natsURL (a
// comma-separated list). Every file is read now, so a missing or malformed
// one stops start-up with its setting's name rather than failing each
// reconnection.
func (o NATSClientOptions) natsOptions(natsURL string) ([]nats.Option, error) {
	if o.isZero() {
		return nil, nil
	}
	if natsURL == "" {
		return nil, errors.New(strings.Join(o.setNames(), ", ") +
			": only with nats-url: the embedded server's users are in the data dir (" + NATSCredentialsFile + ")")
	}
	var errs []error
	var opts []nats.Option
	var ways []string
	if o.CredsFile != "" {
		ways = append(ways, "nats-creds")
		if err := checkCredsFile(o.CredsFile); err != nil {
			errs = append(errs, fmt.Errorf("nats-creds: %w", err))
		} else {
			opts = append(opts, nats.UserCredentials(o.CredsFile))
		}
	}
	if o.NKeyFile != "" {
		ways = append(ways, "nats-nkey")
		opt, err := nats.NkeyOptionFromSeed(o.NKeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("nats-nkey: %s: %w", o.NKeyFile, err))
		} else {
			opts = append(opts, opt)
		}
	}
	password := o.Password
	if o.PasswordFile != "" {
		b, err := os.ReadFile(o.PasswordFile)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("nats-password-file: %w", err))
		case o.Password != "":
			errs = append(errs, errors.New("nats-password-file: the password is also set (SCHEDMGR_NATS_PASSWORD): set one"))
		default:
			password = strings.TrimRight(string(b), "\r\n")
			if password == "" {
				errs = append(errs, fmt.Errorf("nats-password-file: %s is empty", o.PasswordFile))
			}
		}
	}
	switch {
	case o.User != "":
		ways = append(ways, "nats-user")
		if password == "" && o.PasswordFile == "" {
			errs = append(errs, errors.New("nats-user: needs a password: SCHEDMGR_NATS_PASSWORD or nats-password-file"))
		}
		opts = append(opts, nats.UserInfo(o.User, password))
	case o.Password != "" || o.PasswordFile != "":
		errs = append(errs, errors.New("nats-password: a password needs nats-user"))
	}
	if len(ways) > 1 {
		errs = append(errs, fmt.Errorf("%s: choose one way to authenticate", strings.Join(ways, ", ")))
	}
	if len(ways) > 0 {
		for _, raw := range strings.Split(natsURL, ",") {
			if u, err := url.Parse(strings.TrimSpace(raw)); err == nil && u.User != nil {
				errs = append(errs, fmt.Errorf("nats-url: %s has credentials in it, and %s is set: use one", u.Redacted(), ways[0]))
				break
			}
		}
	}
	tlsConfig, err := o.tlsConfig()
	if err != nil {
		errs = append(errs, err)
	} else if tlsConfig != nil {
		opts = append(opts, nats.Secure(tlsConfig))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return opts, nil
}

// setNames lists the settings of o that are set.
func (o NATSClientOptions) setNames() []string {
	var names []string
	for _, f := range []struct{ name, v string }{
		{"nats-creds", o.CredsFile}, {"nats-nkey", o.NKeyFile}, {"nats-user", o.User},
		{"nats-password", o.Password}, {"nats-password-file", o.PasswordFile},
		{"nats-tls-ca", o.TLSCA}, {"nats-tls-cert", o.TLSCert}, {"nats-tls-key", o.TLSKey},
	} {
		if f.v != "" {
			names = append(names, f.name)
		}
	}
	return names
}

// tlsConfig is the TLS configuration of o, nil when o sets no TLS option.
func (o NATSClientOptions) tlsConfig() (*tls.Config, error) {
	if o.TLSCA == "" && o.TLSCert == "" && o.TLSKey == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var errs []error
	if o.TLSCA != "" {
		pem, err := os.ReadFile(o.TLSCA)
		if err != nil {
			errs = append(errs, fmt.Errorf("nats-tls-ca: %w", err))
		} else {
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				errs = append(errs, fmt.Errorf("nats-tls-ca: %s: no PEM certificate in it", o.TLSCA))
			}
		}
	}
	switch {
	case o.TLSCert != "" && o.TLSKey != "":
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			errs = append(errs, fmt.Errorf("nats-tls-cert, nats-tls-key: %w", err))
		} else {
			cfg.Certificates = []tls.Certificate{cert}
		}
	case o.TLSCert != "":
		errs = append(errs, errors.New("nats-tls-cert: needs nats-tls-key"))
	case o.TLSKey != "":
		errs = append(errs, errors.New("nats-tls-key: needs nats-tls-cert"))
	}
	return cfg, errors.Join(errs...)
}

// checkCredsFile reads a NATS credentials file and checks that it holds a
// user JWT and a user nkey seed.
func checkCredsFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	jwt, err := nkeys.ParseDecoratedJWT(b)
	if err != nil || strings.Count(jwt, ".") != 2 {
		return fmt.Errorf("%s: no user JWT in it (want a .creds file: nsc generate creds)", path)
	}
	if _, err := nkeys.ParseDecoratedUserNKey(b); err != nil {
		return fmt.Errorf("%s: no user nkey seed in it: %w", path, err)
	}
	return nil
}

// redactURLs returns the comma-separated NATS URLs s without the
// passwords in them.
func redactURLs(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}
