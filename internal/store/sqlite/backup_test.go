package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// TestBackup copies a database that is open (as a running server holds
// it): the copy opens as an airlock database with the same data, and is
// one file.
func TestBackup(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "airlock.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ev domain.Event
	if err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateRequest(ctx, &domain.Request{ID: "r1", Workspace: "ws", Author: "a", Status: domain.StatusPending}); err != nil {
			return err
		}
		ev, err = tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestCreate, User: "a", Workspace: "ws", Request: "r1"})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	to := filepath.Join(dir, "backups", "airlock-1.db")
	if err := os.Mkdir(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	size, err := Backup(ctx, path, to)
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if fi, err := os.Stat(to); err != nil || fi.Size() != size || size == 0 {
		t.Errorf("backup file: %v, %v (Backup said %d bytes)", fi, err, size)
	}
	entries, _ := os.ReadDir(filepath.Dir(to))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("backup folder holds %v, want the backup alone", names)
	}

	copied, err := Open(ctx, to)
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer copied.Close()
	if _, err := copied.GetRequest(ctx, "r1"); err != nil {
		t.Errorf("GetRequest from the backup: %v", err)
	}
	if id, hash, err := copied.AuditHead(ctx); err != nil || id != 1 || hash != ev.Hash {
		t.Errorf("AuditHead of the backup = %d, %q, %v", id, hash, err)
	}
}

func TestBackupRefuses(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "airlock.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, to, want string
		is                   error
	}{
		{"existing file", path, existing, "backup file exists", ErrBackupExists},
		{"the database itself", path, path, "backup file exists", ErrBackupExists},
		{"missing folder", path, filepath.Join(dir, "nope", "b.db"), "no folder", nil},
		{"missing database", filepath.Join(dir, "missing.db"), filepath.Join(dir, "b.db"), "no database at", nil},
		{"a folder", dir, filepath.Join(dir, "b.db"), "not a database file", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Backup(ctx, tt.path, tt.to)
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("Backup: %v, want %q", err, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "precious" {
		t.Errorf("existing file overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Backup of a missing database created it: %v", err)
	}
}
