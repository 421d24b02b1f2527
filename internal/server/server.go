// Package server assembles airlock's HTTP handlers and runs them until
// its context ends, finishing requests in flight.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/airlock-go/airlock/internal/tracing"
	"github.com/prometheus/client_golang/prometheus"
)

// Pinger is anything whose health can be checked, like the database.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config holds what the HTTP server needs.
type Config struct {
	Listen string
	DB     Pinger
	// ReadDirs must be readable folders and WriteDirs writable ones for
	// the server to be ready.
	ReadDirs  []string
	WriteDirs []string
	Logger    *slog.Logger
	// Mount adds the application's routes (the API, the pages).
	Mount func(mux *http.ServeMux)
	// Stats reads the workflow's figures for /metrics.
	Stats func(context.Context) (Stats, error)
	// Collectors are more metrics to serve (the uploader's, the
	// notifications').
	Collectors []prometheus.Collector
	// Timeouts bound how long a client may hold a connection.
	Timeouts Timeouts
	// Tracer makes a span of every request (the zero Tracer: none).
	Tracer tracing.Tracer
}

// Handler returns the server's routes: health, readiness and metrics, and
// whatever Mount adds, each request logged with an id and measured.
func Handler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := newMetrics(cfg.Stats, cfg.Collectors...)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := ready(r.Context(), cfg); err != nil {
			cfg.Logger.WarnContext(r.Context(), "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", err)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", m.handler())
	if cfg.Mount != nil {
		cfg.Mount(mux)
	}
	return observe(mux, cfg.Logger, m, cfg.Tracer)
}

func ready(ctx context.Context, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := cfg.DB.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	for _, d := range cfg.ReadDirs {
		f, err := os.Open(d)
		if err != nil {
			return fmt.Errorf("folder: %w", err)
		}
		_, err = f.Readdirnames(1)
		f.Close()
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("folder %s: %w", d, err)
		}
	}
	for _, d := range cfg.WriteDirs {
		f, err := os.CreateTemp(d, ".ready-*")
		if err != nil {
			return fmt.Errorf("folder %s is not writable: %w", d, err)
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}

// Run serves handler on cfg.Listen until ctx ends, then shuts down,
// giving requests in flight up to 30 seconds to finish. ready, if not nil,
// receives the address it listens on.
func Run(ctx context.Context, cfg Config, handler http.Handler, ready chan<- string) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", cfg.Listen, err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	srv := newHTTPServer(cfg, handler)
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	cfg.Logger.Info("listening", "addr", "http://"+ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	cfg.Logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("server: shut down: %w", err)
	}
	return nil
}

// MkdirAll creates the folders the server writes to.
func MkdirAll(dirs ...string) error {
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Clean(d), 0o750); err != nil {
			return fmt.Errorf("server: create %s: %w", d, err)
		}
	}
	return nil
}
