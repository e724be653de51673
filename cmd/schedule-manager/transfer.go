package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/store"
)

// configTarget is where import and export read and write the config.
type configTarget interface {
	get(ctx context.Context) (data []byte, version uint64, err error)
	put(ctx context.Context, data []byte, version uint64, message string) (uint64, error)
	close()
}

// targetFlags say where import and export find the config: exactly one of
// a running service (server, with a token), a NATS cluster or a stopped
// service's data dir.
type targetFlags struct {
	server, token, natsURL, dataDir string
	flags                           *pflag.FlagSet // for the NATS client flags
	limits                          engine.Limits  // import: the store takes documents up to limits.DocumentBytes
}

// add defines the flags on cmd and checks them before cmd runs, so that a
// wrong combination, or --server without a token, is a usage error (exit
// 2) like any missing required flag, and nothing is opened.
func (f *targetFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.server, "server", "", "base URL of a running service (uses the admin API; needs a token)")
	cmd.Flags().StringVar(&f.token, "token", "", "bearer token for --server, required with it: viewer to export, admin to import (default $"+tokenEnv+")")
	cmd.Flags().StringVar(&f.natsURL, "nats-url", "", "NATS URL of the cluster holding the store")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "data dir of a stopped single-host service")
	addNATSClientFlags(cmd.Flags())
	f.flags = cmd.Flags()
	cmd.MarkFlagsOneRequired("server", "nats-url", "data-dir")
	cmd.MarkFlagsMutuallyExclusive("server", "nats-url", "data-dir")
	cmd.PreRunE = func(*cobra.Command, []string) error { return f.resolveToken(os.Getenv) }
}

// resolveToken takes the token from $SCHEDMGR_TOKEN when --token is not
// given, and fails when --server has none.
func (f *targetFlags) resolveToken(getenv func(string) string) error {
	if f.server == "" {
		return nil
	}
	if f.token == "" {
		f.token = getenv(tokenEnv)
	}
	if f.token == "" {
		return fmt.Errorf("--server needs --token or $%s: the admin API requires a token (viewer to export, admin to import)", tokenEnv)
	}
	return nil
}

// open connects to the target the flags name.
func (f *targetFlags) open(ctx context.Context) (configTarget, error) {
	if f.server != "" {
		return newHTTPTarget(f.server, f.token)
	}
	conn, err := app.OpenStore(ctx, app.StoreOptions{NATSURL: f.natsURL, DataDir: f.dataDir, MustExist: true, Name: "cli",
		Client: natsClientFromFlags(f.flags, os.Getenv), MaxDocumentBytes: f.limits.WithDefaults().DocumentBytes})
	if err != nil {
		return nil, err
	}
	return &storeTarget{conn: conn}, nil
}

// with opens the target for one minute at most, runs fn and closes it.
func (f *targetFlags) with(ctx context.Context, fn func(context.Context, configTarget) error) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	t, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer t.close()
	return fn(ctx, t)
}

// storeTarget reads and writes the config store directly, through NATS.
type storeTarget struct {
	conn *app.StoreConn
}

func (t *storeTarget) get(ctx context.Context) ([]byte, uint64, error) {
	e, err := t.conn.Store.Get(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, nil
	}
	return e.Data, e.Version, err
}

func (t *storeTarget) put(ctx context.Context, data []byte, version uint64, message string) (uint64, error) {
	return t.conn.Store.Put(ctx, data, version, store.Meta{Author: "cli import", Message: message, Time: time.Now()})
}

func (t *storeTarget) close() { t.conn.Close() }

// httpTarget reads and writes the config through a running service's
// admin API.
type httpTarget struct {
	c *client.Client
}

func newHTTPTarget(base, token string) (*httpTarget, error) {
	c, err := client.New(base, client.WithToken(token), client.WithTimeout(30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("--server: %w", err)
	}
	return &httpTarget{c: c}, nil
}

func (t *httpTarget) get(ctx context.Context) ([]byte, uint64, error) {
	cfg, err := t.c.Config(ctx)
	if errors.Is(err, client.ErrNotFound) {
		return nil, 0, nil // nothing stored yet
	}
	if err != nil {
		return nil, 0, err
	}
	return cfg.Data, cfg.Version, nil
}

func (t *httpTarget) put(ctx context.Context, data []byte, version uint64, message string) (uint64, error) {
	return t.c.PutConfig(ctx, data, version, message)
}

func (t *httpTarget) close() {}

func newImportCmd(c *cli) *cobra.Command {
	var f targetFlags
	var message string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Validate a config file and publish it as a new version",
		Long: `import validates FILE and writes it as the next config version of a running
service (--server), a NATS cluster (--nats-url, with --nats-creds,
--nats-nkey or --nats-user and $SCHEDMGR_NATS_PASSWORD, and --nats-tls-*) or a
stopped single-host service's data dir (--data-dir). Every replica serves it
within a second.
--server needs an admin token (--token or $SCHEDMGR_TOKEN); without one,
import exits 2 like any missing required flag.`,
		Example: `  schedule-manager import config.json --server http://127.0.0.1:8080 --token $TOKEN -m "holidays 2027"
  schedule-manager import config.private.json --data-dir ./data
  SCHEDMGR_NATS_PASSWORD=... schedule-manager import config.json --nats-url nats://nats-1:4222 --nats-user schedmgr`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read config: %w", err)
			}
			f.limits = limitsFromFlags(cmd.Flags())
			if _, err := (engine.Loader{Limits: f.limits}).Load(data); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return f.with(cmd.Context(), func(ctx context.Context, t configTarget) error {
				_, current, err := t.get(ctx)
				if err != nil {
					return fmt.Errorf("read current version: %w", err)
				}
				v, err := t.put(ctx, data, current, message)
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				fmt.Fprintf(c.stdout, "imported %s as version %d (was %d)\n", args[0], v, current)
				return nil
			})
		},
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&message, "message", "m", "", "message recorded in the history")
	addLimitFlags(cmd.Flags())
	return cmd
}

func newExportCmd(c *cli) *cobra.Command {
	var f targetFlags
	var out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Print the current config (Twilio format) so it can live in git",
		Long: `export prints the latest config version, pretty-printed, from a running
service (--server), a NATS cluster (--nats-url) or a stopped single-host
service's data dir (--data-dir). The output loads in Twilio's plugin as is.
--server needs a token, a viewer one is enough (--token or $SCHEDMGR_TOKEN);
without one, export exits 2 like any missing required flag.`,
		Example: `  schedule-manager export --server http://127.0.0.1:8080 --token $TOKEN > config.json
  schedule-manager export --data-dir ./data -o config.json
  schedule-manager export --nats-url "$(schedule-manager nats-url --role service)"   # a running single host
  schedule-manager export --nats-url tls://nats-1:4222 --nats-creds schedmgr.creds --nats-tls-ca ca.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var data []byte
			var v uint64
			err := f.with(cmd.Context(), func(ctx context.Context, t configTarget) (err error) {
				data, v, err = t.get(ctx)
				return err
			})
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			if v == 0 {
				return errors.New("export: the store holds no config yet")
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, data, "", "  "); err != nil {
				pretty.Reset()
				pretty.Write(data)
			}
			pretty.WriteByte('\n')
			if out == "" || out == "-" {
				_, err = c.stdout.Write(pretty.Bytes())
				return err
			}
			if err := os.WriteFile(out, pretty.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "exported version %d to %s\n", v, out)
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	return cmd
}
