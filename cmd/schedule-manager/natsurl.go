package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/schedule-manager/schedule-manager/app"
)

// natsPasswordEnv holds the password of --nats-user: a variable, not a
// flag, so that ps does not show it. It is also serve's setting
// nats-password.
const natsPasswordEnv = "SCHEDMGR_NATS_PASSWORD"

// addNATSClientFlags defines the credentials and TLS flags of a connection
// to an external NATS cluster (--nats-url), shared by serve, import and
// export.
func addNATSClientFlags(fs *pflag.FlagSet) {
	fs.String("nats-creds", "", "NATS credentials file (user JWT and seed) for --nats-url")
	fs.String("nats-nkey", "", "file with the NATS user nkey seed for --nats-url")
	fs.String("nats-user", "", "NATS user for --nats-url; the password comes from $"+natsPasswordEnv+" or --nats-password-file")
	fs.String("nats-password-file", "", "file holding the password of --nats-user")
	fs.String("nats-tls-ca", "", "PEM file of the CAs of the NATS servers' certificates (default: the system's)")
	fs.String("nats-tls-cert", "", "PEM client certificate for NATS servers that verify clients (with --nats-tls-key)")
	fs.String("nats-tls-key", "", "PEM key of --nats-tls-cert")
}

// natsClient is the NATS client options of the serve settings.
func (s settings) natsClient() app.NATSClientOptions {
	return app.NATSClientOptions{CredsFile: s.NATSCreds, NKeyFile: s.NATSNKey, User: s.NATSUser,
		Password: s.NATSPassword, PasswordFile: s.NATSPassFile,
		TLSCA: s.NATSTLSCA, TLSCert: s.NATSTLSCert, TLSKey: s.NATSTLSKey}
}

// natsClientFromFlags reads the flags of addNATSClientFlags from fs, and
// the password from getenv, for import and export.
func natsClientFromFlags(fs *pflag.FlagSet, getenv func(string) string) app.NATSClientOptions {
	get := func(name string) string { v, _ := fs.GetString(name); return v }
	return app.NATSClientOptions{CredsFile: get("nats-creds"), NKeyFile: get("nats-nkey"), User: get("nats-user"),
		Password: getenv(natsPasswordEnv), PasswordFile: get("nats-password-file"),
		TLSCA: get("nats-tls-ca"), TLSCert: get("nats-tls-cert"), TLSKey: get("nats-tls-key")}
}

// natsURLOnly are the serve flags nats-url reads (the others are accepted,
// so that a settings file or environment of serve works as it is, but
// hidden from its help).
var natsURLOnly = []string{settingsFlag, "data-dir", "nats-listen", "nats-url"}

func newNATSURLCmd(c *cli) *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:   "nats-url",
		Short: "Print a URL, with credentials, of the embedded NATS server for subscribers and tools",
		Long: `nats-url prints nats://USER:PASSWORD@HOST:PORT for the embedded NATS server that
serve runs with the same settings: the data dir's generated users
(DATA-DIR/` + app.NATSCredentialsFile + `, created on serve's first start) and the
nats-listen address (an unspecified host such as 0.0.0.0 becomes 127.0.0.1).
It reads the settings as serve does (--settings or SCHEDMGR_SETTINGS, then
SCHEDMGR_* variables, then flags).

Roles:
  reader   subscribe to schedmgr.events.> and schedmgr.snapshot, and create and
           consume its own consumers on the events stream SCHEDMGR_EVENTS (a
           mirror in the readers' account): what event subscribers need, and
           nothing else (no config, tokens or webhook secrets)
  service  everything the service does (config, tokens, webhooks, events):
           for import/export --nats-url and for inspecting the store

The URL holds a password: pass it straight to the program that uses it, and
keep it out of shell history and logs. An unknown role exits 2.`,
		Example: `  nats sub --server "$(schedule-manager nats-url --role reader)" 'schedmgr.events.>'
  nats stream view --server "$(schedule-manager nats-url --role reader)" SCHEDMGR_EVENTS
  schedule-manager nats-url --data-dir /var/lib/schedule-manager --role reader
  schedule-manager export --nats-url "$(schedule-manager nats-url --role service)"`,
		Args: cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			// A missing or wrong role is a wrong command line: exit 2.
			if role == "" {
				return errors.New(`required flag "role" not set: reader or service`)
			}
			_, err := app.ParseNATSRole(role)
			return err
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, _ := app.ParseNATSRole(role)
			s, err := loadSettings(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			u, err := natsURL(s, r)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, u)
			return nil
		},
	}
	addServeFlags(cmd.Flags())
	cmd.Flags().StringVar(&role, "role", "", "reader or service")
	_ = cmd.MarkFlagRequired("role")
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "role" && !strings.HasPrefix(f.Name, "help") && !slices.Contains(natsURLOnly, f.Name) {
			f.Hidden = true
		}
	})
	return cmd
}

// natsURL is the URL of role r for the embedded server of settings s.
func natsURL(s settings, r app.NATSRole) (string, error) {
	if s.NATSURL != "" {
		return "", errors.New("nats-url is set: serve joins that cluster, whose users are the cluster's (see deploy/README.md); " +
			"nats-url prints URLs of the embedded server only")
	}
	listen := s.NATSListen
	if listen == "" {
		listen = app.DefaultNATSListen
	}
	if listen == "off" {
		return "", errors.New("nats-listen is off: the embedded server accepts no connections but the service's own; set nats-listen (e.g. 127.0.0.1:4222) and restart serve")
	}
	if strings.HasSuffix(listen, ":0") {
		return "", fmt.Errorf("nats-listen %s has port 0 (any free port): set a fixed port", listen)
	}
	dir := s.DataDir
	if dir == "" {
		dir = app.DefaultDataDir
	}
	creds, err := app.ReadNATSCredentials(dir)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("data-dir %s has no NATS users yet (%s): start serve once with this data dir to generate them",
			dir, app.NATSCredentialsFile)
	}
	if err != nil {
		return "", err
	}
	return creds.URL(r, listen)
}
