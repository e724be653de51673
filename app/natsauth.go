package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/jscopy"
)

// The embedded NATS server keeps two accounts apart (DESIGN.md §6,
// "Security of the data plane"):
//
//   - NATSServiceAccount holds everything of the service: the config,
//     history, token and webhook buckets, the events stream
//     SCHEDMGR_EVENTS, dead letters. Only the service identity is in it.
//   - NATSReadersAccount is what an events reader reaches: a mirror of
//     SCHEDMGR_EVENTS under the same name (same sequence numbers), on which
//     a reader creates and consumes its own consumers, and the subjects
//     schedmgr.events.> and schedmgr.snapshot, imported for core
//     subscriptions.
//
// Why two accounts and not one account with publish permissions: NATS
// permissions check the subject of a publish, not its reply subject. A
// reader allowed to send any JetStream API request (consumer info, say)
// can name a KV subject as the reply, and the server itself then writes its
// answer there: into schedmgr_auth, schedmgr_config or the events stream.
// Across accounts that cannot happen: the reader's requests and the
// server's answers stay in the readers' account, where only the mirror is,
// and a mirror accepts no publishes.
const (
	// NATSServiceAccount is the account of the service identity.
	NATSServiceAccount = "SCHEDMGR"
	// NATSReadersAccount is the account of the events-reader identity.
	NATSReadersAccount = "SCHEDMGR_READERS"
	// NATSMirrorAPIPrefix is where the readers' account reaches the
	// consumer API of the service account's events stream, for its mirror.
	NATSMirrorAPIPrefix = "$JS.SCHEDMGR.API"
	// NATSMirrorDeliverPrefix is the subject prefix the mirror receives
	// its messages on.
	NATSMirrorDeliverPrefix = "schedmgr.mirror"
	// NATSCredentialsFile is the file under the data dir that holds the
	// embedded server's users and passwords (mode 0600).
	NATSCredentialsFile = "nats-credentials.json"
)

// NATSRole names an identity of the embedded NATS server.
type NATSRole string

// The roles nats-url prints a URL for.
const (
	// NATSRoleService may do everything the service does: write the
	// config, token and webhook buckets, publish events.
	NATSRoleService NATSRole = "service"
	// NATSRoleReader may subscribe to schedmgr.events.> and
	// schedmgr.snapshot, and create, read and delete consumers of the
	// events stream SCHEDMGR_EVENTS (a mirror in its own account), and
	// nothing else.
	NATSRoleReader NATSRole = "reader"
)

// NATSRoles are the roles a URL can be printed for, in the order help
// texts list them.
var NATSRoles = []NATSRole{NATSRoleReader, NATSRoleService}

// ParseNATSRole returns the role named s.
func ParseNATSRole(s string) (NATSRole, error) {
	for _, r := range NATSRoles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want reader or service)", s)
}

// NATSUser is one user of the embedded server.
type NATSUser struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// NATSCredentials are the users of the embedded NATS server, generated on
// first start and kept in DataDir/nats-credentials.json.
type NATSCredentials struct {
	// Comment tells a person who opens the file what it is.
	Comment string `json:"comment,omitempty"`
	// Service is the service identity (account SCHEDMGR).
	Service NATSUser `json:"service"`
	// Reader is the events-reader identity (account SCHEDMGR_READERS).
	Reader NATSUser `json:"reader"`
	// ReadersAdmin creates the events mirror in the readers' account; the
	// service uses it, no one else needs it.
	ReadersAdmin NATSUser `json:"readersAdmin"`
}

// Role returns the user of role r.
func (c *NATSCredentials) Role(r NATSRole) (NATSUser, error) {
	switch r {
	case NATSRoleService:
		return c.Service, nil
	case NATSRoleReader:
		return c.Reader, nil
	}
	return NATSUser{}, fmt.Errorf("unknown role %q (want reader or service)", r)
}

// URL returns nats://user:password@hostPort for role r. hostPort is a
// host:port; an unspecified host (0.0.0.0, ::, "") becomes 127.0.0.1.
func (c *NATSCredentials) URL(r NATSRole, hostPort string) (string, error) {
	u, err := c.Role(r)
	if err != nil {
		return "", err
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return "", fmt.Errorf("nats-listen: %q is not host:port: %w", hostPort, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return (&url.URL{Scheme: "nats", User: url.UserPassword(u.User, u.Password), Host: net.JoinHostPort(host, port)}).String(), nil
}

const credentialsComment = "Users of the embedded NATS server of Schedule Manager. Secret: keep mode 0600. " +
	"'schedule-manager nats-url --role reader' prints a URL for event subscribers."

// NATSCredentialsPath is the credentials file of data dir dir.
func NATSCredentialsPath(dir string) string { return filepath.Join(dir, NATSCredentialsFile) }

// ReadNATSCredentials reads the credentials of the embedded server of data
// dir dir. It creates nothing: a data dir whose service never started with
// this version has none (fs.ErrNotExist).
func ReadNATSCredentials(dir string) (*NATSCredentials, error) {
	path := NATSCredentialsPath(dir)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nats credentials: %w", err)
	}
	var c NATSCredentials
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("nats credentials %s: %w", path, err)
	}
	for _, u := range []struct {
		name string
		u    NATSUser
	}{{"service", c.Service}, {"reader", c.Reader}, {"readersAdmin", c.ReadersAdmin}} {
		if u.u.User == "" || len(u.u.Password) < 16 {
			return nil, fmt.Errorf("nats credentials %s: %s: a user and a password of 16 or more characters are required", path, u.name)
		}
	}
	return &c, nil
}

// loadOrCreateNATSCredentials returns the credentials of data dir dir,
// generating them when the file does not exist yet (a new data dir, or one
// of a version before authentication). A file readable by others is made
// private again (warned reports that).
func loadOrCreateNATSCredentials(dir string) (c *NATSCredentials, created, tightened bool, err error) {
	path := NATSCredentialsPath(dir)
	if fi, err := os.Stat(path); err == nil {
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return nil, false, false, fmt.Errorf("nats credentials: %w", err)
			}
			tightened = true
		}
		c, err := ReadNATSCredentials(dir)
		return c, false, tightened, err
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, false, fmt.Errorf("nats credentials: %w", err)
	}
	c = &NATSCredentials{Comment: credentialsComment,
		Service:      NATSUser{User: "schedmgr"},
		Reader:       NATSUser{User: "schedmgr-reader"},
		ReadersAdmin: NATSUser{User: "schedmgr-readers-admin"},
	}
	for _, u := range []*NATSUser{&c.Service, &c.Reader, &c.ReadersAdmin} {
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return nil, false, false, fmt.Errorf("nats credentials: %w", err)
		}
		u.Password = base64.RawURLEncoding.EncodeToString(raw) // URL-safe: goes in nats:// URLs as is
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, false, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, false, fmt.Errorf("nats credentials: %w", err)
	}
	// Written to a private temporary file, then linked in place: a crash
	// leaves no half-written file, and of two processes starting on the
	// same new data dir one wins and the other reads its file.
	tmp, err := os.CreateTemp(dir, ".nats-credentials-*")
	if err != nil {
		return nil, false, false, fmt.Errorf("nats credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return nil, false, false, fmt.Errorf("nats credentials: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil { // CreateTemp makes 0600 already; say so
		tmp.Close()
		return nil, false, false, fmt.Errorf("nats credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, false, false, fmt.Errorf("nats credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, false, false, fmt.Errorf("nats credentials: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			c, err := ReadNATSCredentials(dir)
			return c, false, false, err
		}
		return nil, false, false, fmt.Errorf("nats credentials: %w", err)
	}
	return c, true, false, nil
}

// readerPublish are the subjects an events reader may publish to: the
// JetStream API of the events stream (the mirror in its account) for
// consumers, pulls, acks and flow control. Nothing else: no KV, no object
// store, no other stream, no event subject.
func readerPublish() []string {
	s := event.StreamName
	return []string{
		"$JS.API.INFO",
		"$JS.API.STREAM.INFO." + s,
		"$JS.API.CONSUMER.CREATE." + s,
		"$JS.API.CONSUMER.CREATE." + s + ".>",
		"$JS.API.CONSUMER.DURABLE.CREATE." + s + ".*",
		"$JS.API.CONSUMER.INFO." + s + ".*",
		"$JS.API.CONSUMER.DELETE." + s + ".*",
		"$JS.API.CONSUMER.NAMES." + s,
		"$JS.API.CONSUMER.LIST." + s,
		"$JS.API.CONSUMER.MSG.NEXT." + s + ".*",
		"$JS.ACK." + s + ".>",
		"$JS.FC." + s + ".>",
	}
}

// readerSubscribe are the subjects an events reader may subscribe to:
// events, snapshots, and its inboxes (answers, pulled messages, push
// deliveries).
func readerSubscribe() []string {
	return []string{event.SubjectPrefix + ".>", event.SnapshotSubject, "_INBOX.>"}
}

// readersAdminPublish are the subjects of the user that creates the
// events mirror.
func readersAdminPublish() []string {
	s := event.StreamName
	return []string{"$JS.API.INFO", "$JS.API.STREAM.CREATE." + s, "$JS.API.STREAM.UPDATE." + s, "$JS.API.STREAM.INFO." + s}
}

// mirrorExports are the service account's JetStream subjects that the
// readers' account imports for its mirror of the events stream: consumer
// creation (with and without a filter subject in the name) and flow
// control.
func mirrorExports() []string {
	s := event.StreamName
	return []string{"$JS.API.CONSUMER.CREATE." + s, "$JS.API.CONSUMER.CREATE." + s + ".>", "$JS.FC." + s + ".>"}
}

// NATSPassword is how NATSAccountsConfig writes a password: a quoted
// string, or a reference to an environment variable ($NAME) that
// nats-server resolves when it reads the file.
type NATSPassword func(role string) string

// NATSAccountsConfig returns the nats-server configuration block
// ("accounts { ... }") of the two accounts and three users described at
// NATSServiceAccount. password gives each user's password as it appears
// in the file: the embedded server writes the generated ones,
// deploy/compose/nats.conf references environment variables.
func NATSAccountsConfig(users NATSCredentials, password NATSPassword) string {
	var b strings.Builder
	list := func(indent string, items []string) string {
		q := make([]string, len(items))
		for i, s := range items {
			q[i] = strconv.Quote(s)
		}
		return "[\n" + indent + "  " + strings.Join(q, "\n"+indent+"  ") + "\n" + indent + "]"
	}
	fmt.Fprintf(&b, "accounts {\n")
	fmt.Fprintf(&b, "  # Everything of the service: config, tokens, webhooks, events. Only the service identity.\n")
	fmt.Fprintf(&b, "  %s {\n    jetstream: enabled\n", NATSServiceAccount)
	fmt.Fprintf(&b, "    users: [\n      {user: %q, password: %s}\n    ]\n", users.Service.User, password("service"))
	fmt.Fprintf(&b, "    exports: [\n")
	for _, s := range []string{event.SubjectPrefix + ".>", event.SnapshotSubject} {
		fmt.Fprintf(&b, "      {stream: %q, accounts: [%s]}\n", s, NATSReadersAccount)
	}
	for _, s := range mirrorExports() {
		fmt.Fprintf(&b, "      {service: %q, accounts: [%s]}\n", s, NATSReadersAccount)
	}
	fmt.Fprintf(&b, "      {stream: %q, accounts: [%s]}\n", NATSMirrorDeliverPrefix+".>", NATSReadersAccount)
	fmt.Fprintf(&b, "    ]\n  }\n")
	fmt.Fprintf(&b, "  # Events readers: a mirror of %s, and events and snapshots for core subscriptions.\n", event.StreamName)
	fmt.Fprintf(&b, "  %s {\n    jetstream: enabled\n    users: [\n", NATSReadersAccount)
	fmt.Fprintf(&b, "      {user: %q, password: %s, permissions: {\n", users.Reader.User, password("reader"))
	fmt.Fprintf(&b, "        publish: {allow: %s}\n", list("        ", readerPublish()))
	fmt.Fprintf(&b, "        subscribe: {allow: %s}\n      }}\n", list("        ", readerSubscribe()))
	fmt.Fprintf(&b, "      {user: %q, password: %s, permissions: {\n", users.ReadersAdmin.User, password("readersAdmin"))
	fmt.Fprintf(&b, "        publish: {allow: %s}\n", list("        ", readersAdminPublish()))
	fmt.Fprintf(&b, "        subscribe: {allow: [\"_INBOX.>\"]}\n      }}\n    ]\n")
	fmt.Fprintf(&b, "    imports: [\n")
	for _, s := range []string{event.SubjectPrefix + ".>", event.SnapshotSubject} {
		fmt.Fprintf(&b, "      {stream: {account: %s, subject: %q}}\n", NATSServiceAccount, s)
	}
	for _, s := range mirrorExports() {
		to := s
		if rest, ok := strings.CutPrefix(s, "$JS.API."); ok {
			to = NATSMirrorAPIPrefix + "." + rest
		}
		fmt.Fprintf(&b, "      {service: {account: %s, subject: %q}, to: %q}\n", NATSServiceAccount, s, to)
	}
	fmt.Fprintf(&b, "      {stream: {account: %s, subject: %q}}\n", NATSServiceAccount, NATSMirrorDeliverPrefix+".>")
	fmt.Fprintf(&b, "    ]\n  }\n}\n")
	return b.String()
}

// quotedPasswords writes the passwords of c into the configuration.
func quotedPasswords(c *NATSCredentials) NATSPassword {
	return func(role string) string {
		switch role {
		case "service":
			return strconv.Quote(c.Service.Password)
		case "reader":
			return strconv.Quote(c.Reader.Password)
		default:
			return strconv.Quote(c.ReadersAdmin.Password)
		}
	}
}

// migrateGlobalAccount moves the JetStream data of a data dir written by a
// version without authentication (every stream in NATS's global account,
// under jetstream/$G) into the service's account (jetstream/SCHEDMGR), so
// that config, history, tokens and webhooks stay where the service now
// looks. A data dir that has both is left alone and refused: which one
// holds the data is for a person to decide.
func migrateGlobalAccount(storeDir string, log *slog.Logger) error {
	old := filepath.Join(storeDir, "jetstream", "$G")
	dst := filepath.Join(storeDir, "jetstream", NATSServiceAccount)
	if _, err := os.Stat(old); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("data-dir: %w", err)
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("data-dir: both %s (a version before NATS authentication) and %s hold streams: "+
			"move the one to keep to %s and the other away", old, dst, dst)
	}
	if err := os.Rename(old, dst); err != nil {
		return fmt.Errorf("data-dir: move the streams of a version before NATS authentication into account %s: %w", NATSServiceAccount, err)
	}
	log.Info("moved the JetStream data of a version before NATS authentication into the service's account",
		"from", old, "to", dst)
	return nil
}

// ensureReaderMirror creates or updates the events readers' mirror of the
// events stream, with the stream's retention, when the store is the
// embedded server's and the events stream exists. Against a joined cluster
// the cluster's operator creates it (deploy/README.md).
func (c *StoreConn) ensureReaderMirror(ctx context.Context) error {
	if c.srv == nil {
		return nil
	}
	src, err := c.JetStream.Stream(ctx, event.StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("events stream: %w", err)
	}
	nc, err := nats.Connect("", nats.InProcessServer(c.srv), nats.Name("schedule-manager readers mirror"),
		nats.UserInfo(c.creds.ReadersAdmin.User, c.creds.ReadersAdmin.Password))
	if err != nil {
		return fmt.Errorf("connect as %s: %w", c.creds.ReadersAdmin.User, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if _, err := jscopy.Ensure(ctx, js, ReaderMirrorConfig(src.CachedInfo().Config)); err != nil {
		return fmt.Errorf("readers' mirror of %s: %w", event.StreamName, err)
	}
	return nil
}

// ReaderMirrorConfig is the configuration of the events readers' mirror
// of the events stream whose configuration is src: the same name (so
// subscribers name SCHEDMGR_EVENTS in either account), retention and
// replicas. deploy/compose/readers-mirror.json is this for a cluster.
func ReaderMirrorConfig(src jetstream.StreamConfig) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        src.Name,
		Description: "events of Schedule Manager for subscribers: a mirror of " + src.Name + " in account " + NATSServiceAccount,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      src.MaxAge,
		MaxBytes:    src.MaxBytes,
		MaxMsgs:     src.MaxMsgs,
		Replicas:    src.Replicas,
		Mirror: &jetstream.StreamSource{Name: src.Name, External: &jetstream.ExternalStream{
			APIPrefix: NATSMirrorAPIPrefix, DeliverPrefix: NATSMirrorDeliverPrefix}},
	}
}
