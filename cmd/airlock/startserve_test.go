package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/config"
)

// startServe runs serve with cfg and log until stop is called, and
// returns the address it listens on; stop ends it and returns serve's
// error. The test fails if serve stops before it is ready.
func startServe(t *testing.T, log *slog.Logger, cfg *config.Server) (addr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{ctx: ctx, log: log, stdin: strings.NewReader(""), stdout: io.Discard}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(e, cfg, ready) }()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped: %v", err)
	}
	return addr, func() error { cancel(); return <-done }
}
