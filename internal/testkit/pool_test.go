package testkit

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store/postgres"
	"github.com/airlock-go/airlock/internal/store/postgres/pgtest"
)

// TestPooledDatabaseIsFresh: a PostgreSQL database that a test used, once
// emptied for the next one (pgReset), holds exactly what a freshly
// migrated database holds: every table's rows and every sequence's
// position. A migration that seeds a table pgReset empties fails it.
func TestPooledDatabaseIsFresh(t *testing.T) {
	pgtest.ServerURL(t)
	ctx := context.Background()
	fresh := pgtest.NewDatabase(t)
	if _, err := postgres.Migrate(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, fresh)

	e := NewEnv(t)
	e.Approved(e.Author)
	e.RequestIn(e.Colleague, domain.StatusReturned)
	if got := snapshot(t, e.DBURL); got == want {
		t.Fatal("a database with two requests looks like a fresh one: the comparison sees nothing")
	}
	if err := pgtest.ResetDatabase(ctx, e.DBURL, pgReset()); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, e.DBURL); got != want {
		t.Errorf("an emptied pooled database differs from a fresh one:\n got %s\nwant %s", got, want)
	}
}

// snapshot describes a database's content: every table's rows (goose's
// by version only: it stamps the time) and every sequence's last value.
func snapshot(t *testing.T, dbURL string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, tbl := range tables {
		q := `SELECT coalesce(string_agg(t::text, ' | ' ORDER BY t::text), '') FROM ` + tbl + ` t`
		if tbl == "goose_db_version" {
			q = `SELECT string_agg(version_id::text, ',' ORDER BY version_id) FROM goose_db_version`
		}
		var content string
		if err := conn.QueryRow(ctx, q).Scan(&content); err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		fmt.Fprintf(&b, "%s: [%s]\n", tbl, content)
	}
	rows, err = conn.Query(ctx, `SELECT sequencename || '=' || coalesce(last_value::text, 'unused')
		FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "sequences: %s\n", strings.Join(seqs, " "))
	return b.String()
}
