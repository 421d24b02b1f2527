package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func TestHealthAndReadiness(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		cfg    Config
		path   string
		status int
		body   string
	}{
		{"alive", Config{DB: pinger{}}, "/healthz", 200, "ok"},
		{"ready", Config{DB: pinger{}, ReadDirs: []string{dir}, WriteDirs: []string{dir}}, "/readyz", 200, "ready"},
		{"database down", Config{DB: pinger{errors.New("closed")}}, "/readyz", 503, "database: closed"},
		{"folder missing", Config{DB: pinger{}, ReadDirs: []string{filepath.Join(dir, "nope")}}, "/readyz", 503, "folder"},
		{"folder not writable", Config{DB: pinger{}, WriteDirs: []string{filepath.Join(dir, "nope")}}, "/readyz", 503, "not writable"},
		{"unknown path", Config{DB: pinger{}}, "/nope", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			rec := httptest.NewRecorder()
			Handler(tt.cfg).ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tt.status, tt.body)
			}
		})
	}
}

func TestRunStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{Listen: "127.0.0.1:0", DB: pinger{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, Handler(cfg), ready) }()
	addr := <-ready
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestMkdirAll(t *testing.T) {
	d := filepath.Join(t.TempDir(), "a", "b")
	if err := MkdirAll(d); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		t.Fatalf("folder not made: %v", err)
	}
}
