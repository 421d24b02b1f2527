package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/demo"
	"github.com/airlock-go/airlock/internal/schedule"
	"github.com/airlock-go/airlock/internal/testkit"
)

// `airlock serve` with AIRLOCK_REGULAR_AT creates the regular release
// requests itself at that time of day, so that a backend of one process
// needs no worker; without it, serve leaves them to `airlock worker`.
func TestServeRunsRegularRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a time of day a few seconds ahead")
	}
	for _, scheduled := range []bool{true, false} {
		t.Run(fmt.Sprintf("scheduled=%v", scheduled), func(t *testing.T) {
			dir := t.TempDir()
			setup, err := demo.Generate(dir)
			if err != nil {
				t.Fatal(err)
			}
			workDir := filepath.Join(dir, "workdir")
			if err := os.MkdirAll(workDir, 0o755); err != nil {
				t.Fatal(err)
			}
			entries := `[{"username": "researcher", "workspace_name": "diabetes-outcomes", "dirs": ["output/tables"]}]`
			if err := os.WriteFile(filepath.Join(workDir, schedule.RegularFile), []byte(entries), 0o644); err != nil {
				t.Fatal(err)
			}
			// A time of day 3 seconds ahead, in the duration form the
			// setting also takes (HH:MM has whole minutes only).
			now := time.Now().UTC()
			at := (now.Sub(now.Truncate(24*time.Hour)) + 3*time.Second).Truncate(time.Second) % (24 * time.Hour)
			cfg := &config.Server{
				Database:     config.Database{WorkDir: workDir},
				WorkspaceDir: setup.WorkspaceDir, DevUsersFile: setup.UsersFile,
				Listen: "127.0.0.1:0", APIEndpoint: "https://jobs.opensafely.org/api/v2",
				UploadDelay: 1, UploadRetryDelay: 60, UploadWorkers: 2, UploadLease: time.Minute,
			}
			if scheduled {
				cfg.RegularAt = at.String()
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			logs := &testkit.SyncBuffer{}
			_, stop := startServe(t, slog.New(slog.NewTextHandler(logs, nil)), cfg)
			deadline := time.Now().Add(20 * time.Second)
			for scheduled && !strings.Contains(logs.String(), "release request complete") && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
			if !scheduled {
				time.Sleep(5 * time.Second) // past the time it would have run
			}
			if err := stop(); err != nil {
				t.Fatalf("serve: %v", err)
			}
			out := logs.String()
			ran := strings.Contains(out, "creating regular release requests") && strings.Contains(out, `msg="release request complete" workspace=diabetes-outcomes`)
			if ran != scheduled {
				t.Errorf("regular requests ran: %v, want %v; logs:\n%s", ran, scheduled, out)
			}
			if scheduled && !strings.Contains(out, "regular release requests scheduled") {
				t.Errorf("serve does not say when the regular requests run:\n%s", out)
			}
			code, listed, stderr := airlock(t, "", "audit", "--work-dir", workDir, "-w", "diabetes-outcomes")
			if code != 0 || strings.Contains(listed, "REQUEST_CREATE") != scheduled {
				t.Errorf("audit of the workspace (exit %d) has a created request: %v, want %v\n%s%s", code, strings.Contains(listed, "REQUEST_CREATE"), scheduled, listed, stderr)
			}
		})
	}
}
