package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/sqlstore"
	"github.com/airlock-go/airlock/internal/store/storetest"
)

func openTemp(t *testing.T) store.Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTemp)
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db.sqlite3")

	applied, err := Migrate(ctx, path)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if diff := cmp.Diff([]string{"00001_init.sql", "00002_upload_leases.sql", "00003_sessions.sql", "00004_checks.sql", "00005_audit_request_index.sql", "00006_upload_error.sql", "00007_file_versions.sql"}, applied); diff != "" {
		t.Errorf("first Migrate applied (-want +got):\n%s", diff)
	}
	applied, err = Migrate(ctx, path)
	if err != nil || len(applied) != 0 {
		t.Errorf("second Migrate applied %v, %v; want nothing", applied, err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	r := &domain.Request{ID: "r1", Workspace: "ws", Author: "alice", Status: domain.StatusPending}
	var ev domain.Event
	if err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		ev, err = tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestCreate, User: "alice", Workspace: "ws", Request: "r1"})
		return err
	}); err != nil {
		t.Fatalf("Tx: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.GetRequest(ctx, "r1"); err != nil {
		t.Errorf("GetRequest after reopening: %v", err)
	}
	if id, hash, err := s.AuditHead(ctx); err != nil || id != 1 || hash != ev.Hash {
		t.Errorf("AuditHead after reopening = %d, %q, %v; want 1, %q", id, hash, err, ev.Hash)
	}

	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id = 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("migration 1 recorded %d times, want once", n)
	}
}

func TestPragmas(t *testing.T) {
	s := openTemp(t).(*Store)
	ctx := t.Context()
	// Check on several connections at once: each new connection must get
	// the settings.
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		for pragma, want := range map[string]string{
			"journal_mode":       "wal",
			"foreign_keys":       "1",
			"busy_timeout":       "10000",
			"synchronous":        "1", // NORMAL
			"cache_size":         "-4096",
			"journal_size_limit": "67108864",
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", pragma, err)
			}
			if strings.ToLower(got) != want {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, pragma, got, want)
			}
		}
	}
}

// TestActiveStatuses keeps the SQL list of active statuses, used by the
// partial unique index and ActiveRequestID, in step with the domain.
func TestActiveStatuses(t *testing.T) {
	var names []string
	for _, s := range domain.ActiveStatuses() {
		names = append(names, "'"+string(s)+"'")
	}
	want := "(" + strings.Join(names, ", ") + ")"
	if sqlstore.ActiveStatusesSQL != want {
		t.Errorf("ActiveStatusesSQL = %s, want %s", sqlstore.ActiveStatusesSQL, want)
	}
	migration, err := migrationFiles.ReadFile("migrations/00001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(migration), "WHERE status IN "+want) {
		t.Errorf("the partial index requests_one_active does not use %s", want)
	}
	// The status CHECK lists every status.
	for _, s := range domain.Statuses() {
		if !strings.Contains(string(migration), "'"+string(s)+"'") {
			t.Errorf("migration does not mention status %s", s)
		}
	}
}

// queryPlan returns the details of SQLite's plan for a query.
func queryPlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// TestActiveRequestUsesIndex checks that the one-active-request lookup is
// answered from the partial index.
func TestActiveRequestUsesIndex(t *testing.T) {
	plan := queryPlan(t, openTemp(t).(*Store), sqlstore.ActiveRequestIDSQL, "ws", "a")
	if !slices.ContainsFunc(plan, func(d string) bool { return strings.Contains(d, "requests_one_active") }) {
		t.Errorf("query plan does not use requests_one_active: %v", plan)
	}
}

// TestClaimUploadWalksTheQueue checks that a claim reads the index of
// waiting files in order, with no sort: its cost does not grow with the
// files already uploaded.
func TestClaimUploadWalksTheQueue(t *testing.T) {
	plan := queryPlan(t, openTemp(t).(*Store), claimUploadSQL, "w", "t", "t", "t", "t")
	joined := strings.Join(plan, "; ")
	if !strings.Contains(joined, "request_files_upload_queue") || strings.Contains(joined, "TEMP B-TREE") {
		t.Errorf("claim plan: %s", joined)
	}
}

func TestOpenRejectsURIs(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

// TestTwoStoresOneFile has two Stores (as two processes would) write the
// same database at once: SQLite's own locking (BEGIN IMMEDIATE, busy
// timeout) must serialise them without errors or lost events.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		stores[i] = s
	}
	if err := stores[0].Tx(ctx, func(tx store.Tx) error {
		return tx.CreateRequest(ctx, &domain.Request{ID: "r1", Workspace: "ws", Author: "a", Status: domain.StatusPending})
	}); err != nil {
		t.Fatal(err)
	}
	const perStore = 30
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < perStore; {
				r, err := s.GetRequest(ctx, "r1")
				if err != nil {
					t.Errorf("GetRequest: %v", err)
					return
				}
				err = s.Tx(ctx, func(tx store.Tx) error {
					if err := tx.GuardRequest(ctx, "r1", r.Version); err != nil {
						return err
					}
					_, err := tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestEdit, User: fmt.Sprint(i), Workspace: "ws", Request: "r1"})
					return err
				})
				switch {
				case errors.Is(err, store.ErrConflict):
				case err != nil:
					t.Errorf("store %d: Tx: %v", i, err)
					return
				default:
					n++
				}
			}
		}()
	}
	wg.Wait()
	var all []domain.Event
	if err := stores[1].EachEvent(ctx, func(e domain.Event) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 2*perStore {
		t.Errorf("%d events, want %d", len(all), 2*perStore)
	}
	if err := domain.VerifyChain(all); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
	r, err := stores[0].GetRequest(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 1+2*perStore {
		t.Errorf("Version = %d, want %d", r.Version, 1+2*perStore)
	}
}

// TestConcurrentOpen opens a new database from several goroutines at once,
// as a server and a worker started together would: the migrations must be
// applied once and every Open succeed.
func TestConcurrentOpen(t *testing.T) {
	for range 2 {
		path := filepath.Join(t.TempDir(), "db.sqlite3")
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(t.Context(), path)
				if err != nil {
					t.Errorf("Open: %v", err)
					return
				}
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
		}
		wg.Wait()
	}
}
