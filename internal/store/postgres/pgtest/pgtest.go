// Package pgtest gives tests a fresh PostgreSQL database of their own, on
// the server that AIRLOCK_TEST_DATABASE_URL names (.ci/run starts one).
//
// Without AIRLOCK_TEST_DATABASE_URL a test that needs PostgreSQL is
// skipped, except under CI=true, where a suite that cannot run is a
// failure.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EnvURL is the variable naming the test server: a postgres:// URL whose
// user may create databases.
const EnvURL = "AIRLOCK_TEST_DATABASE_URL"

// ServerURL returns the test server's URL, skipping the test when there
// is none (failing it under CI=true).
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u != "" {
		return u
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set, and CI=true: the PostgreSQL tests must run. "+
			"Set it to a postgres:// URL whose user may create databases, or run .ci/run, "+
			"which starts a throwaway cluster (.ci/postgres.sh).", EnvURL)
	}
	t.Skipf("%s is not set: PostgreSQL tests skipped (source .ci/postgres.sh and call airlock_pg_start to get one)", EnvURL)
	return ""
}

// NewDatabase creates an empty database on the test server and returns
// its URL; the database is dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", EnvURL)
	}
	name := newName()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := admin(ctx, server, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s (the user of %s must be allowed to create databases): %v", name, EnvURL, err)
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })
	u.Path = "/" + name
	return u.String()
}

func newName() string {
	var b [6]byte
	rand.Read(b[:])
	return "airlock_test_" + hex.EncodeToString(b[:])
}

func dropDatabase(t testing.TB, server, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// An autovacuum worker in the database makes FORCE fail for a
	// user who is not a superuser (42501) until the worker is done.
	if err := admin(ctx, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)", codeInsufficientPrivilege); err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
	}
}

// SQLSTATE codes admin may wait out.
const (
	codeObjectInUse           = "55006"
	codeInsufficientPrivilege = "42501"
)

// admin runs one statement on the server's own database, again while
// another session holds the template database (CREATE DATABASE refuses to
// copy it then: object_in_use), or while it fails with one of the codes
// of also.
func admin(ctx context.Context, server, stmt string, also ...string) error {
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for {
		_, err = conn.Exec(ctx, stmt)
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || (pe.Code != codeObjectInUse && !slices.Contains(also, pe.Code)) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Reset says how a pooled database is emptied for its next test: every
// table is truncated (its identities restarted) but those of Keep, then
// After runs (to put back the rows setup put in the tables it kept).
type Reset struct {
	Keep  []string
	After string
}

// NewDatabaseFrom is NewDatabase for a database that setup prepares (say,
// migrates), made once per version and then reused: the first call of a
// version creates a template database airlock_tmpl_ followed by version
// and runs setup on it; each test then takes a database of a pool
// (airlock_pool_<version>_<n>), made from the template the first time,
// which it holds, by an advisory lock on a connection of its own, until
// it ends. A database taken from the pool is emptied as reset says before
// the test gets it (a test that crashed leaves it dirty, never in use), a
// few milliseconds instead of the half second a copy of the template
// costs. The pool grows to the number of tests running at once, across
// processes, and stays on the server for later runs. version must change
// whenever setup would make something else.
func NewDatabaseFrom(t testing.TB, version string, setup func(url string) error, reset Reset) string {
	t.Helper()
	server := ServerURL(t)
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", EnvURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lock, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvURL, err)
	}
	t.Cleanup(func() { lock.Close(context.Background()) }) // releases the database
	tmpl := "airlock_tmpl_" + version
	if err := ensureTemplate(ctx, lock, server, tmpl, setup); err != nil {
		t.Fatalf("pgtest: template %s: %v", tmpl, err)
	}
	for n := 0; ; n++ {
		name := fmt.Sprintf("airlock_pool_%s_%d", version, n)
		var mine bool
		if err := lock.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtext($1))", name).Scan(&mine); err != nil {
			t.Fatalf("pgtest: lock %s: %v", name, err)
		}
		if !mine {
			continue
		}
		u.Path = "/" + name
		if err := takeDatabase(ctx, lock, server, u.String(), name, tmpl, reset); err != nil {
			t.Fatalf("pgtest: database %s: %v", name, err)
		}
		return u.String()
	}
}

// takeDatabase makes the pool's database name from tmpl if it does not
// exist yet, else empties it as reset says.
func takeDatabase(ctx context.Context, lock *pgx.Conn, server, dbURL, name, tmpl string, reset Reset) error {
	var exists bool
	err := lock.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		return err
	}
	if !exists {
		return admin(ctx, server, "CREATE DATABASE "+name+" TEMPLATE "+tmpl)
	}
	return ResetDatabase(ctx, dbURL, reset)
}

// ResetDatabase empties the database at dbURL as reset says.
func ResetDatabase(ctx context.Context, dbURL string, reset Reset) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT quote_ident(tablename) FROM pg_tables
		WHERE schemaname = 'public' AND NOT tablename = ANY($1) ORDER BY tablename`, reset.Keep)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	stmt := reset.After
	if len(tables) > 0 {
		stmt = "TRUNCATE " + strings.Join(tables, ", ") + " RESTART IDENTITY CASCADE; " + stmt
	}
	if stmt != "" {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
	}
	return nil
}

// ensureTemplate makes the template database tmpl, unless it exists: it
// sets up a database under a name of its own and renames it tmpl, so that
// processes racing to make it never share a half-made one.
func ensureTemplate(ctx context.Context, conn *pgx.Conn, server, tmpl string, setup func(url string) error) error {
	var exists bool
	err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tmpl).Scan(&exists)
	if err != nil || exists {
		return err
	}
	name := newName()
	if err := admin(ctx, server, "CREATE DATABASE "+name); err != nil {
		return err
	}
	u, _ := url.Parse(server)
	u.Path = "/" + name
	err = setup(u.String())
	if err == nil {
		err = admin(ctx, server, "ALTER DATABASE "+name+" RENAME TO "+tmpl)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == codeDuplicateDatabase {
			err = nil // another process made it first
		} else if err == nil {
			return nil
		}
	}
	return errors.Join(err, admin(ctx, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)", codeInsufficientPrivilege))
}

const codeDuplicateDatabase = "42P04"
