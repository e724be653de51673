package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsMaxInFlight bounds concurrent scrapes: gathering every metric is
// the most expensive answer the service gives, so scrapes beyond this many
// at once (a Prometheus pair and a person with curl need far fewer) are
// answered 503 at once instead of queueing for the CPU that check-schedule
// needs.
const metricsMaxInFlight = 4

// metricsHandler is GET /metrics: the service's registry through promhttp,
// bounded to metricsMaxInFlight concurrent scrapes.
func (a *App) metricsHandler() http.Handler {
	return promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{
		Registry:            a.registry, // counts promhttp's own errors
		MaxRequestsInFlight: metricsMaxInFlight,
		Timeout:             10 * time.Second,
		ErrorLog:            slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	})
}

// publicMetrics is the /metrics handler of the public listener: nil when
// metrics have a listener of their own (the public one then answers 404).
func (a *App) publicMetrics() http.Handler {
	if a.opts.MetricsAddr != "" {
		return nil
	}
	return a.metricsHandler()
}

// startMetrics serves GET /metrics, and nothing else, on MetricsAddr when
// it is set. Anyone who reaches that address may scrape without a token:
// bind it to loopback or to an address only the monitoring network
// reaches, never to the public one.
func (a *App) startMetrics() error {
	if a.opts.MetricsAddr == "" {
		return nil
	}
	l, err := net.Listen("tcp", a.opts.MetricsAddr)
	if err != nil {
		return fmt.Errorf("metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metricsHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "this listener serves GET /metrics only", http.StatusNotFound)
	})
	a.metricsSrv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.metricsListener = l
	go func() {
		if err := a.metricsSrv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.errc <- fmt.Errorf("metrics listener: %w", err)
		}
	}()
	a.log.Info("metrics listener started", "metrics", "http://"+l.Addr().String()+"/metrics")
	return nil
}

// stopMetrics stops the metrics listener, letting a scrape in progress
// finish for up to two seconds.
func (a *App) stopMetrics() {
	if a.metricsSrv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.metricsSrv.Shutdown(ctx); err != nil {
		_ = a.metricsSrv.Close()
	}
}

// MetricsAddr returns the bound address of the metrics listener, or ""
// when metrics are served on the HTTP listener (Options.MetricsAddr unset).
func (a *App) MetricsAddr() string {
	if a.metricsListener == nil {
		return ""
	}
	return a.metricsListener.Addr().String()
}
