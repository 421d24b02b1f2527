package sqlite

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestPageCachesBounded reads a database larger than all the page caches
// together on every connection of the pool: SQLite's count of its page
// caches must show them, and stay within cache_size on each connection.
// It reads a process-wide counter, so it must not run in parallel with
// other tests.
func TestPageCachesBounded(t *testing.T) {
	if testing.Short() || raceEnabled {
		// Under the race detector it takes 30 times as long, and it
		// checks a bound on memory, not concurrency: it runs without.
		t.Skip("writes and reads a 50 MiB database: not in -short, nor under -race")
	}
	s := openTemp(t).(*Store)
	ctx := t.Context()
	// Rows that fit in a page each, so that reading them loads every
	// page into the reader's page cache (content on overflow pages is
	// read past it).
	const (
		rows    = 48 << 10
		rowSize = 1000
		bound   = maxConns * 4 << 20 // cache_size in dsn, on each connection
		slack   = 2 << 20            // pages pinned while read, the page headers
	)
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE big (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < ?)
		INSERT INTO big SELECT randomblob(?) FROM n`, rows, rowSize); err != nil {
		t.Fatal(err)
	}
	conns := make([]*sql.Conn, maxConns)
	for i := range conns {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	var most int64
	for i, c := range conns {
		var n int64
		if err := c.QueryRowContext(ctx, `SELECT sum(length(b)) FROM big`).Scan(&n); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if n != rows*rowSize {
			t.Fatalf("connection %d read %d bytes, want %d", i, n, rows*rowSize)
		}
		pc, err := ReadPageCaches()
		if err != nil {
			t.Fatal(err)
		}
		if pc.MaxBytes < pc.Bytes {
			t.Fatalf("page caches hold %d bytes, at most %d: want the most at least what they hold", pc.Bytes, pc.MaxBytes)
		}
		most = max(most, pc.Bytes)
	}
	t.Logf("SQLite's page caches held up to %.1f MiB on %d connections", float64(most)/(1<<20), maxConns)
	if most > bound+slack {
		t.Errorf("page caches held up to %.1f MiB on %d connections, want at most %.1f MiB (cache_size on each)",
			float64(most)/(1<<20), maxConns, float64(bound+slack)/(1<<20))
	}
	if most < bound*3/4 {
		t.Errorf("page caches held up to %.1f MiB after reading %d MiB on %d connections: want them counted (about %d MiB)",
			float64(most)/(1<<20), rows*rowSize>>20, maxConns, bound>>20)
	}
}

func TestPageCacheMetrics(t *testing.T) {
	s := openTemp(t).(*Store)
	if _, err := s.GetUser(t.Context(), "nobody"); err == nil {
		t.Fatal("GetUser found a user in an empty database")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		got = append(got, mf.GetName())
		if v := mf.GetMetric()[0].GetGauge().GetValue(); v <= 0 {
			t.Errorf("%s = %v, want more than 0 once a database has been read", mf.GetName(), v)
		}
	}
	want := []string{"airlock_sqlite_page_cache_bytes", "airlock_sqlite_page_cache_max_bytes"}
	if !slices.Equal(got, want) {
		t.Errorf("metrics %s, want %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}
