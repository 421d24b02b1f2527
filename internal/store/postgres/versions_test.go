package postgres

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/postgres/pgtest"
)

// TestMigrationFillsVersions: migration 00007 gives every file already on
// a request its current copy as version 1, added by the request's author
// at its last add or update event, and every vote its version.
func TestMigrationFillsVersions(t *testing.T) {
	ctx := t.Context()
	u := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO requests (id, workspace, status, author, created_at, version, updated_at)
			VALUES ('r1', 'ws', 'SUBMITTED', 'alice', '2024-03-01T09:00:00Z', 3, '2024-03-01T09:00:00Z')`,
		`INSERT INTO file_groups (id, request_id, name, created_at, updated_at) VALUES (1, 'r1', 'g', '2024-03-01T09:00:00Z', '2024-03-01T09:00:00Z')`,
		`INSERT INTO request_files (id, request_id, group_id, relpath, file_id, size, timestamp, commit_sha, job_id)
			VALUES (1, 'r1', 1, 'a.csv', 'aaaa', 10, 1.5, 'c1', 'j1'), (2, 'r1', 1, 'b.csv', 'bbbb', 20, 2.5, 'c2', 'j2')`,
		`INSERT INTO file_reviews (file_id, reviewer, status, created_at, updated_at) VALUES (1, 'bob', 'APPROVED', '2024-03-02T10:00:00Z', '2024-03-02T11:00:00Z')`,
		`INSERT INTO audit_log (id, type, "user", workspace, request, path, created_at, prev_hash, hash) VALUES
			(1, 'REQUEST_FILE_ADD', 'alice', 'ws', 'r1', 'a.csv', '2024-03-01T09:05:00Z', '', 'h1'),
			(2, 'REQUEST_FILE_UPDATE', 'alice', 'ws', 'r1', 'a.csv', '2024-03-01T09:07:00Z', 'h1', 'h2')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	s := open(t, u) // migrates the rest
	at := func(v string) time.Time { tm, _ := time.Parse(time.RFC3339, v); return tm }
	for _, tt := range []struct {
		path, sha string
		size      int64
		added     time.Time
	}{
		{"a.csv", "aaaa", 10, at("2024-03-01T09:07:00Z")}, // its last update
		{"b.csv", "bbbb", 20, at("2024-03-01T09:00:00Z")}, // no event: the request's creation
	} {
		vs, err := s.FileVersions(ctx, "r1", tt.path)
		if err != nil || len(vs) != 1 {
			t.Fatalf("versions of %s: %+v, %v", tt.path, vs, err)
		}
		v := vs[0]
		if v.Ordinal != 1 || v.FileID != tt.sha || v.Size != tt.size || v.AddedBy != "alice" || !v.AddedAt.Equal(tt.added) {
			t.Errorf("version of %s: %+v", tt.path, v)
		}
	}
	rv, err := s.ReviewedVersion(ctx, "r1", "a.csv", "bob")
	if err != nil || rv.FileID != "aaaa" || !rv.VotedAt.Equal(at("2024-03-02T11:00:00Z")) {
		t.Errorf("reviewed version: %+v, %v", rv, err)
	}
	if _, err := s.ReviewedVersion(ctx, "r1", "b.csv", "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reviewed version of an unvoted file: %v", err)
	}
}
