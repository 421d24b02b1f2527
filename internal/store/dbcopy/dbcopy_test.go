package dbcopy

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/postgres"
	"github.com/airlock-go/airlock/internal/store/postgres/pgtest"
	"github.com/airlock-go/airlock/internal/store/sqlite"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)

func at(n int) time.Time {
	return t0.Add(time.Duration(n)*time.Minute + time.Duration(n)*time.Microsecond)
}

func ptr[T any](v T) *T { return &v }

// seed fills a SQLite store with every kind of row: requests in several
// statuses with groups, files (every field set or empty), votes,
// submitted reviews and comments (one deleted), events (one hidden),
// users, tokens and sessions.
func seed(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, st := range []domain.Status{domain.StatusReviewed, domain.StatusApproved, domain.StatusWithdrawn} {
		id := fmt.Sprintf("01REQ%d", i)
		must(s.Tx(ctx, func(tx store.Tx) error {
			r := &domain.Request{ID: id, Workspace: "ws", Project: "P", Organisations: []string{"org a", "org-b"},
				Author: fmt.Sprintf("author%d", i), CreatedAt: at(i), LastSubmittedAt: ptr(at(i + 1)), Status: st, ReviewTurn: 2}
			if i == 2 {
				r.Organisations, r.LastSubmittedAt = nil, nil
			}
			if err := tx.CreateRequest(ctx, r); err != nil {
				return err
			}
			for _, g := range []string{"Tables", "default"} {
				if err := tx.CreateGroup(ctx, id, domain.Group{Name: g, Context: "ctx é", Controls: "ctl\nline", CreatedAt: at(2), UpdatedAt: at(3)}); err != nil {
					return err
				}
			}
			files := []domain.RequestFile{
				{Relpath: "out/a.csv", Group: "Tables", FileID: "aa", FileType: domain.FileOutput, Timestamp: 1717243200.654321,
					Size: 1 << 33, JobID: "j", Commit: "c", Repo: "r", RowCount: ptr(0), ColCount: ptr(7),
					ReleasedAt: ptr(at(5)), ReleasedBy: "checker", Uploaded: true, UploadedAt: ptr(at(6)), UploadAttempts: 2, UploadAttemptedAt: ptr(at(6))},
				{Relpath: "out/b.txt", Group: "default", FileID: "bb", FileType: domain.FileSupporting},
				{Relpath: "Out/c.png", Group: "default", FileID: "cc", FileType: domain.FileWithdrawn, ReleasedAt: ptr(at(7)), ReleasedBy: "x"},
			}
			for _, f := range files {
				if err := tx.InsertFile(ctx, id, f); err != nil {
					return err
				}
				v := domain.FileVersion{FileID: f.FileID, Size: f.Size, Timestamp: f.Timestamp, Commit: f.Commit, JobID: f.JobID, AddedBy: "author", AddedAt: at(4)}
				if _, err := tx.AddFileVersion(ctx, id, f.Relpath, v); err != nil {
					return err
				}
			}
			for _, who := range []string{"checker1", "checker2"} {
				if err := tx.PutReview(ctx, id, "out/a.csv", domain.Review{Reviewer: who, Vote: domain.VoteApproved, CreatedAt: at(8), UpdatedAt: at(9), ReviewTurn: 1}); err != nil {
					return err
				}
				if err := tx.AddSubmittedReview(ctx, id, who, 1, at(10)); err != nil {
					return err
				}
			}
			if err := tx.AddSubmittedReview(ctx, id, "checker1", 2, at(11)); err != nil {
				return err
			}
			var last int64
			for n, text := range []string{"first", "deleted", "**third**"} {
				c, err := tx.InsertComment(ctx, id, domain.Comment{Group: "Tables", Text: text, Author: "checker1", Visibility: domain.VisibilityPrivate, ReviewTurn: n, CreatedAt: at(12 + n)})
				if err != nil {
					return err
				}
				last = c
			}
			if err := tx.DeleteComment(ctx, id, last); err != nil { // the highest id: reused by SQLite only without AUTOINCREMENT
				return err
			}
			for n, typ := range []domain.EventType{domain.EventRequestCreate, domain.EventRequestFileAdd, domain.EventRequestEarlyReturn} {
				extra := map[string]string{"review_turn": "1", "group": "Tables", "note": `quote " and é`}
				if _, err := tx.AppendEvent(ctx, domain.Event{Type: typ, User: "author", Workspace: "ws", Request: id, Path: "out/a.csv", Extra: extra, CreatedAt: at(20 + n)}); err != nil {
					return err
				}
			}
			return tx.HideTurnEvents(ctx, id, 1)
		}))
	}
	must(s.Tx(ctx, func(tx store.Tx) error {
		_, err := tx.AppendEvent(ctx, domain.Event{Type: domain.EventWorkspaceFileView, User: "u", Workspace: "ws", CreatedAt: at(30)})
		return err
	}))
	must(s.PutUser(ctx, store.UserRecord{Username: "alice", APIData: []byte(`{"username": "alice",  "output_checker":true}`), LastRefresh: at(1)}))
	must(s.CreateToken(ctx, store.Token{Hash: "h1", Username: "alice", CreatedAt: at(1), LastUsedAt: at(2), ExpiresAt: at(3)}))
	must(s.CreateToken(ctx, store.Token{Hash: "h2", Username: "alice", CreatedAt: at(1), LastUsedAt: at(2), ExpiresAt: at(3), RevokedAt: ptr(at(2))}))
	must(s.SessionCommit(ctx, "s1", []byte{0, 1, 0xff}, time.Now().Add(time.Hour)))
	must(s.SessionCommit(ctx, "s2", nil, time.Now().Add(time.Hour)))
}

func newSQLite(t *testing.T) (string, *sqlite.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "airlock.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return path, s
}

func openPostgres(t *testing.T, u string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func allEvents(t *testing.T, s store.Store) []domain.Event {
	t.Helper()
	var out []domain.Event
	if err := s.EachEvent(t.Context(), func(e domain.Event) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCopy(t *testing.T) {
	ctx := t.Context()
	path, src := newSQLite(t)
	seed(t, src)
	u := pgtest.NewDatabase(t)

	counts, err := Copy(ctx, path, u)
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	want := map[string]int64{
		"users": 1, "requests": 3, "submitted_reviews": 9, "file_groups": 6, "request_files": 9, "file_reviews": 6,
		"file_versions": 9, "reviewed_versions": 6, "comments": 6, "audit_log": 10, "audit_head": 1, "api_tokens": 2, "sessions": 2,
	}
	got := map[string]int64{}
	for _, c := range counts {
		got[c.Table] = c.Rows
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}

	// Through the store interface, the copy reads as the original.
	dst := openPostgres(t, u)
	for i := range 3 {
		id := fmt.Sprintf("01REQ%d", i)
		a, err := src.GetRequest(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		b, err := dst.GetRequest(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("request %s (-sqlite +postgres):\n%s", id, diff)
		}
	}
	srcEvents, dstEvents := allEvents(t, src), allEvents(t, dst)
	if diff := cmp.Diff(srcEvents, dstEvents); diff != "" {
		t.Errorf("events (-sqlite +postgres):\n%s", diff)
	}
	if err := domain.VerifyChain(dstEvents); err != nil {
		t.Errorf("VerifyChain of the copy: %v", err)
	}
	for _, s := range []store.Store{src, dst} {
		if id, hash, err := s.AuditHead(ctx); err != nil || id != 10 || hash != srcEvents[9].Hash {
			t.Errorf("AuditHead = %d, %q, %v", id, hash, err)
		}
	}
	for _, name := range []string{"alice"} {
		a, _ := src.GetUser(ctx, name)
		b, err := dst.GetUser(ctx, name)
		if err != nil || !cmp.Equal(a, b) {
			t.Errorf("user %s: %s %v", name, cmp.Diff(a, b), err)
		}
	}
	for _, h := range []string{"h1", "h2"} {
		a, _ := src.GetToken(ctx, h)
		b, err := dst.GetToken(ctx, h)
		if err != nil || !cmp.Equal(a, b) {
			t.Errorf("token %s: %s %v", h, cmp.Diff(a, b), err)
		}
	}
	if data, found, err := dst.SessionFind(ctx, "s1"); err != nil || !found || string(data) != "\x00\x01\xff" {
		t.Errorf("session s1: %q %v %v", data, found, err)
	}

	// New rows continue after the copied ids: a deleted comment's id is
	// not given again, and the chain goes on from the copied head.
	err = dst.Tx(ctx, func(tx store.Tx) error {
		c, err := tx.InsertComment(ctx, "01REQ0", domain.Comment{Group: "Tables", Text: "new", Author: "x", Visibility: domain.VisibilityPublic, CreatedAt: at(40)})
		if err != nil {
			return err
		}
		if c != 10 {
			t.Errorf("new comment id %d, want 10 (9 given out by SQLite, the last deleted)", c)
		}
		e, err := tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestComment, User: "x", Workspace: "ws", Request: "01REQ0"})
		if err == nil && e.ID != 11 {
			t.Errorf("new event id %d, want 11", e.ID)
		}
		if err != nil {
			return err
		}
		return tx.CreateGroup(ctx, "01REQ0", domain.Group{Name: "new", CreatedAt: at(41), UpdatedAt: at(41)})
	})
	if err != nil {
		t.Fatalf("writing to the copy: %v", err)
	}
	if err := domain.VerifyChain(allEvents(t, dst)); err != nil {
		t.Errorf("VerifyChain after a new event: %v", err)
	}

	// The target is no longer empty: a second copy is refused.
	if _, err := Copy(ctx, path, u); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second Copy: %v, want a refusal of a non-empty database", err)
	}
}

func TestCopyRefuses(t *testing.T) {
	ctx := t.Context()
	path, _ := newSQLite(t)
	notAirlock := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", notAirlock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	drifted, st := newSQLite(t)
	st.Close()
	db, err = sql.Open("sqlite", drifted)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`ALTER TABLE sessions ADD COLUMN note TEXT`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	tests := []struct {
		name, from string
		want       string
	}{
		{"missing file", filepath.Join(t.TempDir(), "nope.db"), "no SQLite database"},
		{"not airlock's", notAirlock, "not an airlock database"},
		{"columns differ", drifted, "table sessions has columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := pgtest.NewDatabase(t)
			if _, err := Copy(ctx, tt.from, u); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Copy: %v, want %q", err, tt.want)
			}
		})
	}

	t.Run("target with data", func(t *testing.T) {
		u := pgtest.NewDatabase(t)
		dst := openPostgres(t, u)
		if err := dst.PutUser(ctx, store.UserRecord{Username: "x", APIData: []byte(`{}`), LastRefresh: at(0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := Copy(ctx, path, u); err == nil || !strings.Contains(err.Error(), "table users has 1 rows") {
			t.Errorf("Copy into a database with a user: %v", err)
		}
	})
	t.Run("target with events", func(t *testing.T) {
		u := pgtest.NewDatabase(t)
		dst := openPostgres(t, u)
		if err := dst.Tx(ctx, func(tx store.Tx) error {
			_, err := tx.AppendEvent(ctx, domain.Event{Type: domain.EventWorkspaceFileView, User: "u", Workspace: "ws"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := Copy(ctx, path, u); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Errorf("Copy into a database with events: %v", err)
		}
	})
}

// TestCompareFindsDifferences changes the copy behind the tool's back:
// the comparison names the table, row and column.
func TestCompareFindsDifferences(t *testing.T) {
	ctx := t.Context()
	path, src := newSQLite(t)
	seed(t, src)
	tests := []struct {
		name, sql, table, want string
	}{
		{"changed text", `UPDATE comments SET text = 'edited' WHERE id = 1`, "comments", `column text: SQLite has "first", PostgreSQL "edited"`},
		{"changed time", `UPDATE requests SET created_at = created_at + interval '1 microsecond' WHERE id = '01REQ1'`, "requests", "row 2 (in key order), column created_at"},
		{"changed flag", `UPDATE audit_log SET hidden = NOT hidden WHERE id = 2`, "audit_log", "column hidden"},
		{"changed JSON", `UPDATE audit_log SET extra = extra || '{"x": "y"}' WHERE id = 3`, "audit_log", "column extra"},
		{"missing row", `DELETE FROM sessions WHERE token = 's2'`, "sessions", "row counts differ"},
		{"changed bytes", `UPDATE sessions SET data = '\x00'::bytea WHERE token = 's1'`, "sessions", "column data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := pgtest.NewDatabase(t)
			if _, err := Copy(ctx, path, u); err != nil {
				t.Fatal(err)
			}
			dst, err := pgx.Connect(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close(ctx)
			if _, err := dst.Exec(ctx, tt.sql); err != nil {
				t.Fatal(err)
			}
			source, err := openSQLite(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer source.Close()
			schema, err := compareSchemas(ctx, source.conn, dst)
			if err != nil {
				t.Fatal(err)
			}
			srcTx, err := source.conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer srcTx.Rollback()
			for _, table := range Tables {
				err := compareTable(ctx, srcTx, dst, table, schema[table.Name])
				if table.Name != tt.table {
					if err != nil {
						t.Errorf("%s: %v", table.Name, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: %v, want %q", table.Name, err, tt.want)
				}
			}
		})
	}
}

// TestDataVersionSeesOtherWriters: the counter Copy compares before and
// after, so that writes to SQLite while it is copied are reported rather
// than silently missed, moves when another connection writes.
func TestDataVersionSeesOtherWriters(t *testing.T) {
	ctx := t.Context()
	path, src := newSQLite(t)
	source, err := openSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer source.Close()
	before, err := dataVersion(ctx, source.conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.PutUser(ctx, store.UserRecord{Username: "late", APIData: []byte(`{}`), LastRefresh: at(0)}); err != nil {
		t.Fatal(err)
	}
	after, err := dataVersion(ctx, source.conn)
	if err != nil {
		t.Fatal(err)
	}
	if before == after {
		t.Errorf("data_version did not move after a write by another connection")
	}
}

func TestConversions(t *testing.T) {
	tests := []struct {
		v      any
		pgType string
		want   string
		err    string
	}{
		{"2025-06-01T12:00:00.123456Z", "timestamp with time zone", "2025-06-01T12:00:00.123456Z", ""},
		{"2025-06-01 12:00:00", "timestamp with time zone", "", "bad stored time"},
		{int64(1), "boolean", "true", ""},
		{int64(0), "boolean", "false", ""},
		{int64(2), "boolean", "", "flag stored as"},
		{int64(1) << 40, "bigint", "1099511627776", ""},
		{int64(3), "double precision", "3", ""},
		{1717243200.654321, "double precision", "1.717243200654321e+09", ""},
		{[]byte{0, 0xff}, "bytea", `\x00ff`, ""},
		{"abc", "bytea", `\x616263`, ""},
		{"é \"q\"", "text", `"é \"q\""`, ""},
		{`{"b": "1", "a": "2"}`, "jsonb", `{"a":"2","b":"1"}`, ""},
		{`{"b": "1"}`, "json", `"{\"b\": \"1\"}"`, ""},
		{nil, "text", "NULL", ""},
		{"x", "point", "", "no conversion"},
	}
	for _, tt := range tests {
		got, err := canonical(tt.v, tt.pgType, true)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("canonical(%v, %s) error %v, want %q", tt.v, tt.pgType, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("canonical(%v, %s) = %q, %v; want %q", tt.v, tt.pgType, got, err, tt.want)
		}
	}
}
