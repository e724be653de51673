package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/spf13/cobra"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/examples"
)

func newServeCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the service: check-schedule, admin API, metrics, embedded NATS",
		Long: `serve runs the Schedule Manager service.

With no settings it listens on http://127.0.0.1:8080, starts an embedded NATS
server with JetStream under ./data (clients can connect on 127.0.0.1:4222 with
the users it generates on first start in ./data/nats-credentials.json:
schedule-manager nats-url --role reader prints a URL for event subscribers),
seeds an example config on first start and prints a generated admin token once.

With --nats-url it joins an existing NATS cluster instead; --nats-creds,
--nats-nkey or --nats-user (password in SCHEDMGR_NATS_PASSWORD or
--nats-password-file) authenticate it, --nats-tls-ca, --nats-tls-cert and
--nats-tls-key set up TLS.

Settings come from a YAML file (--settings or SCHEDMGR_SETTINGS), then
SCHEDMGR_* environment variables (SCHEDMGR_HTTP_ADDR, SCHEDMGR_ADMIN_TOKEN, ...),
then flags, each overriding the one before. Every flag is a settings-file key
and a variable (--http-addr: http-addr, SCHEDMGR_HTTP_ADDR); admin-token has no
flag, and tokens and webhooks are set in the file only. An unknown key or
SCHEDMGR_* variable stops serve, naming it (with the closest setting when it
looks misspelt). SCHEDMGR_TOKEN, the token the CLI's --server commands send,
is not a serve setting and is ignored, so one env file can serve both; the
service's own admin token is SCHEDMGR_ADMIN_TOKEN.`,
		Example: `  schedule-manager serve
  SCHEDMGR_ADMIN_TOKEN=$(openssl rand -hex 24) schedule-manager serve --http-addr :8080
  schedule-manager serve --nats-url nats://nats-1:4222,nats://nats-2:4222 --store-replicas 3
  SCHEDMGR_NATS_PASSWORD=... schedule-manager serve --nats-url tls://nats-1:4222 --nats-user schedmgr --nats-tls-ca ca.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := loadSettings(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			opts, err := s.options()
			if err != nil {
				return err
			}
			if opts.SeedConfig == nil {
				opts.SeedConfig = examples.Default()
			}
			logger, err := newLogger(c.stderr, s.LogLevel, s.LogFormat)
			if err != nil {
				return err
			}
			opts.Logger = logger
			opts.Stdout = c.stdout
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			setMemoryLimit(ctx, logger, memlimit.FromCgroup)
			a, err := app.Start(ctx, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Schedule Manager on http://%s (NATS %s)\n", a.HTTPAddr(), orNone(a.NATSURL()))
			if _, err := a.NATSURLFor(app.NATSRoleReader); err == nil {
				fmt.Fprintln(c.stdout, "NATS requires a user: event subscribers use the URL of 'schedule-manager nats-url --role reader'")
			}
			var runErr error
			select {
			case <-ctx.Done():
				logger.Info("shutting down")
			case runErr = <-a.Err():
				logger.Error("fatal", "err", runErr)
			}
			if err := a.Shutdown(context.Background()); err != nil && runErr == nil {
				runErr = err
			}
			return runErr
		},
	}
	addServeFlags(cmd.Flags())
	return cmd
}

func orNone(s string) string {
	if s == "" {
		return "in-process only"
	}
	return s
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log-level: %q is not debug, info, warn or error", level)
	}
	hopts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	default:
		return nil, fmt.Errorf("log-format: %q is not text or json", format)
	}
}
