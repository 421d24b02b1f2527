package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/postgres/pgtest"
	"github.com/airlock-go/airlock/internal/store/sqlstore"
	"github.com/airlock-go/airlock/internal/store/storetest"
)

// open opens a Store on connURL, closed when the test ends.
func open(t *testing.T, connURL string) *Store {
	t.Helper()
	s, err := Open(t.Context(), connURL)
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

// openTemp opens a Store on a new database of its own.
func openTemp(t *testing.T) store.Store {
	t.Helper()
	return open(t, pgtest.NewDatabase(t))
}

func TestConformance(t *testing.T) {
	pgtest.ServerURL(t) // skip (or fail under CI) once, not per case
	storetest.Run(t, openTemp)
}

func TestMigrate(t *testing.T) {
	ctx := t.Context()
	u := pgtest.NewDatabase(t)
	applied, err := Migrate(ctx, u)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if diff := cmp.Diff([]string{"00001_init.sql", "00002_upload_leases.sql", "00003_sessions.sql", "00004_checks.sql", "00005_audit_request_index.sql", "00006_upload_error.sql", "00007_file_versions.sql"}, applied); diff != "" {
		t.Errorf("first Migrate applied (-want +got):\n%s", diff)
	}
	applied, err = Migrate(ctx, u)
	if err != nil || len(applied) != 0 {
		t.Errorf("second Migrate applied %v, %v; want nothing", applied, err)
	}

	// Data survives closing and opening again.
	s, err := Open(ctx, u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var ev domain.Event
	if err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateRequest(ctx, &domain.Request{ID: "r1", Workspace: "ws", Author: "alice", Status: domain.StatusPending}); err != nil {
			return err
		}
		ev, err = tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestCreate, User: "alice", Workspace: "ws", Request: "r1"})
		return err
	}); err != nil {
		t.Fatalf("Tx: %v", err)
	}
	s.Close()
	s = open(t, u)
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

// TestConcurrentOpen opens a new database from several goroutines at once,
// as nodes started together would: goose's advisory lock must let one
// migrate and the others find the work done.
func TestConcurrentOpen(t *testing.T) {
	u := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(t.Context(), u)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"not a URL", "sqlite:x.db", "postgres://"},
		{"bad port", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.Context(), tt.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.url)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgresql://h/db", "postgresql://h/db"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
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
	for _, s := range domain.Statuses() {
		if !strings.Contains(string(migration), "'"+string(s)+"'") {
			t.Errorf("migration does not mention status %s", s)
		}
	}
}

// explain returns PostgreSQL's plan for a query.
func explain(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.db.QueryContext(t.Context(), "EXPLAIN "+rebind(query), args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// TestPlans checks, on a database shaped like a real one (many released
// requests whose files were uploaded long ago, a few approved requests
// with files waiting), that the one-active-request lookup uses its partial
// index, and that a claim finds the waiting files through the upload
// queue's index, never reading every file.
func TestPlans(t *testing.T) {
	s := openTemp(t).(*Store)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO requests (id, workspace, status, author, created_at, version, updated_at)
			SELECT 'r' || i, 'ws' || (i % 20), CASE WHEN i <= 3 THEN 'APPROVED' ELSE 'RELEASED' END,
				'author' || i, now(), 1, now()
			FROM generate_series(1, 500) i`,
		`INSERT INTO file_groups (request_id, name, created_at, updated_at)
			SELECT id, 'g', now(), now() FROM requests`,
		`INSERT INTO request_files (request_id, group_id, relpath, file_id, released_at, uploaded)
			SELECT g.request_id, g.id, 'f' || j, 'x', now(), g.request_id NOT IN ('r1', 'r2', 'r3')
			FROM file_groups g, generate_series(1, 40) j`,
		`INSERT INTO audit_log (id, type, "user", workspace, request, created_at, prev_hash, hash)
			SELECT i, 'REQUEST_FILE_VIEW', 'u', 'ws', 'r' || (i % 500 + 1), now(), '', ''
			FROM generate_series(1, 20000) i`,
		`ANALYZE requests, file_groups, request_files, audit_log`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := time.Now()
	tests := []struct {
		name, query string
		args        []any
		want        string
	}{
		{"active request", sqlstore.ActiveRequestIDSQL, []any{"ws1", "author1"}, "requests_one_active"},
		{"claim upload", claimUploadSQL, []any{"w", now, now, now, now}, "request_files_upload_queue"},
		{"request stamp", sqlstore.RequestStampSQL, []any{"r7"}, "audit_log_request"},
	}
	for _, tt := range tests {
		plan := explain(t, s, tt.query, tt.args...)
		if !strings.Contains(plan, tt.want) || strings.Contains(plan, "Seq Scan on request_files") || strings.Contains(plan, "Seq Scan on audit_log") {
			t.Errorf("%s: plan does not use %s, or reads every file:\n%s", tt.name, tt.want, plan)
		}
	}
	c, err := s.ClaimUpload(ctx, "w", now, now.Add(time.Minute))
	if err != nil || (c.RequestID != "r1" && c.RequestID != "r2" && c.RequestID != "r3") {
		t.Errorf("ClaimUpload = %+v, %v; want a file of r1, r2 or r3", c, err)
	}
}

// TestTimesTruncated: finer than microsecond digits are cut, not rounded,
// as the SQLite store's text form cuts them.
func TestTimesTruncated(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	created := time.Date(2024, 3, 1, 9, 30, 15, 123456999, time.UTC)
	r := &domain.Request{ID: "r1", Workspace: "ws", Author: "alice", Status: domain.StatusPending, CreatedAt: created}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.CreateRequest(ctx, r) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRequest(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if want := created.Truncate(time.Microsecond); !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want)
	}
}

// setupApproved creates an APPROVED request with n released output files.
func setupApproved(t *testing.T, s store.Store, id string, n int) []string {
	t.Helper()
	ctx := t.Context()
	var paths []string
	err := s.Tx(ctx, func(tx store.Tx) error {
		r := &domain.Request{ID: id, Workspace: "ws", Author: "author-" + id, Status: domain.StatusApproved, CreatedAt: time.Now()}
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, id, domain.Group{Name: "g", CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
			return err
		}
		for i := range n {
			p := fmt.Sprintf("out/%03d.csv", i)
			paths = append(paths, p)
			if err := tx.InsertFile(ctx, id, domain.RequestFile{Relpath: p, Group: "g", FileID: p, FileType: domain.FileOutput}); err != nil {
				return err
			}
			if err := tx.SetFileReleased(ctx, id, p, time.Now(), "checker"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	return paths
}

// TestTwoPoolsClaimUploads has uploaders on two Stores (two nodes) claim
// files of one database at once: every file is claimed exactly once.
func TestTwoPoolsClaimUploads(t *testing.T) {
	u := pgtest.NewDatabase(t)
	stores := []*Store{open(t, u), open(t, u)}
	const files = 60
	setupApproved(t, stores[0], "r1", files/2)
	setupApproved(t, stores[0], "r2", files/2)

	var (
		mu      sync.Mutex
		claimed = map[string]string{} // file -> owner
		wg      sync.WaitGroup
	)
	now := time.Now()
	for node, s := range stores {
		for w := range 4 {
			owner := fmt.Sprintf("node%d-worker%d", node, w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					c, err := s.ClaimUpload(t.Context(), owner, now, now.Add(time.Hour))
					if errors.Is(err, store.ErrNotFound) {
						return
					}
					if err != nil {
						t.Errorf("%s: ClaimUpload: %v", owner, err)
						return
					}
					key := c.RequestID + "/" + c.Relpath
					mu.Lock()
					if prev, ok := claimed[key]; ok {
						t.Errorf("%s claimed by %s and by %s", key, prev, owner)
					}
					claimed[key] = owner
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(claimed) != files {
		t.Errorf("%d files claimed, want %d", len(claimed), files)
	}
	owners := map[string]bool{}
	for _, o := range claimed {
		owners[o[:5]] = true
	}
	t.Logf("claims by node: %v", owners)
}

// TestTwoPoolsAuditChain appends events from two Stores (two nodes) at
// once, with and without request guards: the chain stays one valid chain
// and guarded writes are never lost.
func TestTwoPoolsAuditChain(t *testing.T) {
	u := pgtest.NewDatabase(t)
	stores := []*Store{open(t, u), open(t, u)}
	ctx := t.Context()
	if err := stores[0].Tx(ctx, func(tx store.Tx) error {
		return tx.CreateRequest(ctx, &domain.Request{ID: "r1", Workspace: "ws", Author: "a", Status: domain.StatusPending, CreatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	const perWorker = 25
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		guarded   int
		conflicts int
	)
	for node, s := range stores {
		for w := range 3 {
			user := fmt.Sprintf("node%d-%d", node, w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; n < perWorker; {
					withGuard := n%2 == 0
					var version int64
					if withGuard {
						r, err := s.GetRequest(ctx, "r1")
						if err != nil {
							t.Errorf("GetRequest: %v", err)
							return
						}
						version = r.Version
					}
					err := s.Tx(ctx, func(tx store.Tx) error {
						if withGuard {
							if err := tx.GuardRequest(ctx, "r1", version); err != nil {
								return err
							}
						}
						_, err := tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestEdit, User: user, Workspace: "ws", Request: "r1"})
						return err
					})
					switch {
					case errors.Is(err, store.ErrConflict):
						mu.Lock()
						conflicts++
						mu.Unlock()
						continue
					case err != nil:
						t.Errorf("%s: Tx: %v", user, err)
						return
					}
					if withGuard {
						mu.Lock()
						guarded++
						mu.Unlock()
					}
					n++
				}
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d guard conflicts retried", conflicts)
	var all []domain.Event
	if err := stores[1].EachEvent(ctx, func(e domain.Event) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := len(stores) * 3 * perWorker; len(all) != want {
		t.Errorf("%d events, want %d", len(all), want)
	}
	if err := domain.VerifyChain(all); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
	r, err := stores[0].GetRequest(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 1+int64(guarded) {
		t.Errorf("Version = %d after %d guarded writes, want %d", r.Version, guarded, 1+guarded)
	}
}

// TestUploadBookkeepingBesideGuardedWrites runs upload bookkeeping (which
// touches the request without a guard) against guarded writes of the same
// request from another Store: no deadlock, no lost version.
func TestUploadBookkeepingBesideGuardedWrites(t *testing.T) {
	u := pgtest.NewDatabase(t)
	stores := []*Store{open(t, u), open(t, u)}
	ctx := t.Context()
	paths := setupApproved(t, stores[0], "r1", 20)
	var wg sync.WaitGroup
	var guardedWrites int
	wg.Add(2)
	go func() {
		defer wg.Done()
		for _, p := range paths {
			err := stores[0].Tx(ctx, func(tx store.Tx) error {
				if err := tx.RecordUploadAttempt(ctx, "r1", p, time.Now()); err != nil {
					return err
				}
				if err := tx.SetFileUploaded(ctx, "r1", p, time.Now()); err != nil {
					return err
				}
				_, err := tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestFileUpload, User: "system", Workspace: "ws", Request: "r1", Path: p})
				return err
			})
			if err != nil {
				t.Errorf("upload bookkeeping of %s: %v", p, err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 20 {
			r, err := stores[1].GetRequest(ctx, "r1")
			if err != nil {
				t.Errorf("GetRequest: %v", err)
				return
			}
			err = stores[1].Tx(ctx, func(tx store.Tx) error {
				if err := tx.GuardRequest(ctx, "r1", r.Version); err != nil {
					return err
				}
				_, err := tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestEdit, User: "checker", Workspace: "ws", Request: "r1"})
				return err
			})
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			if err != nil {
				t.Errorf("guarded write: %v", err)
				return
			}
			guardedWrites++
		}
	}()
	wg.Wait()
	r, err := stores[0].GetRequest(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	// Each upload touched the request twice (attempt, uploaded).
	if want := int64(1 + 2*len(paths) + guardedWrites); r.Version != want {
		t.Errorf("Version = %d, want %d", r.Version, want)
	}
	for _, f := range r.Files {
		if !f.Uploaded || f.UploadAttempts != 1 {
			t.Errorf("%s: uploaded %v after %d attempts", f.Relpath, f.Uploaded, f.UploadAttempts)
		}
	}
	var all []domain.Event
	if err := stores[1].EachEvent(ctx, func(e domain.Event) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := domain.VerifyChain(all); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
}

// TestErrorsClassified: the store's sentinel errors survive the mapping of
// PostgreSQL's codes, and a deadlock counts as a conflict.
func TestErrorsClassified(t *testing.T) {
	s := openTemp(t).(*Store)
	ctx := t.Context()
	_, err := s.db.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END $$`)
	if !errors.Is(classify(err), store.ErrConflict) || !retryable(err) {
		t.Errorf("deadlock: classify gives %v", classify(err))
	}
	_, err = s.db.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END $$`)
	if !errors.Is(classify(err), store.ErrConflict) {
		t.Errorf("serialization failure: classify gives %v", classify(err))
	}
	// A transaction whose fn returns a classified conflict is rolled back.
	err = s.Tx(ctx, func(stx store.Tx) error {
		if err := stx.CreateRequest(ctx, &domain.Request{ID: "r1", Workspace: "ws", Author: "a", Status: domain.StatusPending}); err != nil {
			return err
		}
		// fn meets a deadlock (raised here on another connection).
		_, err := s.db.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END $$`)
		return classify(err)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("Tx with a deadlock: %v, want ErrConflict", err)
	}
	if _, err := s.GetRequest(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("request of a rolled-back Tx: %v", err)
	}
	// Retried statements give up on other errors at once.
	calls := 0
	err = sqlstore.Retry(ctx, retryable, func() error { calls++; return errors.New("other") })
	if err == nil || calls != 1 {
		t.Errorf("retry of a plain error: %d calls, %v", calls, err)
	}
	calls = 0
	_ = sqlstore.Retry(ctx, retryable, func() error {
		calls++
		if calls < 3 {
			_, err := s.db.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END $$`)
			return err
		}
		return nil
	})
	if calls != 3 {
		t.Errorf("retry of serialization failures: %d calls, want 3", calls)
	}
}

// TestUnreachableClassified: the errors of a database that cannot be
// reached, or is going away, are store.ErrUnavailable (a 503 with a
// message for a person); others, and a caller giving up, are not.
func TestUnreachableClassified(t *testing.T) {
	// A real connection error: nothing listens on a port just freed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, connErr := pgx.Connect(t.Context(), "postgres://u@"+addr+"/db?sslmode=disable&connect_timeout=5")
	if connErr == nil {
		t.Fatal("connected to a closed port")
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", connErr, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"connection cut", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"connection closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"connection reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"disk full", &pgconn.PgError{Code: "53100"}, false},
		{"caller gone", fmt.Errorf("%w", context.Canceled), false},
		{"plain", errors.New("other"), false},
	} {
		err := fmt.Errorf("postgres: get request x: %w", classify(tc.err))
		if got := errors.Is(err, store.ErrUnavailable); got != tc.want {
			t.Errorf("%s: unavailable %v, want %v (%v)", tc.name, got, tc.want, err)
		}
		if tc.want {
			if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(domain.Message(err), "database cannot be reached") {
				t.Errorf("%s: not a refusal of kind unavailable with its message: %q", tc.name, domain.Message(err))
			}
			if again := classify(err); again != err {
				t.Errorf("%s: classified twice: %v", tc.name, again)
			}
		}
	}
	if err := classify(&pgconn.PgError{Code: "53100"}); !errors.Is(err, store.ErrFull) || !errors.Is(err, domain.ErrInsufficientStorage) {
		t.Errorf("disk full: %v, want store.ErrFull", err)
	}
}
