package sqlite

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMemoryBounded reads a database larger than the soft heap limit on
// every connection of the pool, whose page caches (cache_size each)
// could together hold more than the limit: SQLite's count of what it
// holds must show the page caches, and stay near the limit. It reads
// process-wide counters, so it must not run in parallel with other tests.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 50 MiB database")
	}
	s := openTemp(t).(*Store)
	ctx := t.Context()
	// Rows that fit in a page each, so that reading them loads every
	// page into the reader's page cache (content on overflow pages is
	// read past it).
	const (
		rows    = 48 << 10
		rowSize = 1000
		limit   = 32 << 20 // soft_heap_limit in dsn
		slack   = 4 << 20  // schemas, statements, pages pinned while read
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
		m, err := ReadMemory()
		if err != nil {
			t.Fatal(err)
		}
		if m.PageCache <= 0 || m.Used < m.PageCache {
			t.Fatalf("after connection %d read: SQLite holds %d bytes, page caches %d: want page caches counted", i, m.Used, m.PageCache)
		}
		most = max(most, m.Used)
	}
	t.Logf("SQLite held up to %.1f MiB", float64(most)/(1<<20))
	// Without the limit the caches would hold cache_size on each
	// connection: 8 × 8 MiB.
	if most > limit+slack {
		t.Errorf("SQLite held up to %.1f MiB over %d connections, want at most %.1f MiB (soft_heap_limit and slack)",
			float64(most)/(1<<20), maxConns, float64(limit+slack)/(1<<20))
	}
	if most < limit/2 {
		t.Errorf("SQLite held up to %.1f MiB after reading %d MiB on %d connections: the page caches were not counted",
			float64(most)/(1<<20), rows*rowSize>>20, maxConns)
	}
}

func TestMemoryMetrics(t *testing.T) {
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
			t.Errorf("%s = %v, want more than 0 with a database open", mf.GetName(), v)
		}
	}
	want := []string{"airlock_sqlite_memory_bytes", "airlock_sqlite_memory_max_bytes", "airlock_sqlite_page_cache_bytes"}
	if !slices.Equal(got, want) {
		t.Errorf("metrics %s, want %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}
