// Package sqlite is the SQLite implementation of store.Store, on the
// pure-Go driver modernc.org/sqlite.
//
// The database runs in WAL mode with foreign keys on; write transactions
// are BEGIN IMMEDIATE and, within one process, also take turns on a
// semaphore so that waiting writers queue instead of polling SQLite's busy
// handler. Times are stored as TEXT in the fixed-width UTC form
// 2006-01-02T15:04:05.000000Z (so they sort and round-trip exactly at
// microsecond precision) and read back in UTC.
//
// What GetRequest returns: SubmittedReviews and every file's Reviews are
// non-nil maps; Organisations, TurnReviewers, Groups, Files and Comments
// are nil when empty.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/airlock-go/airlock/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a SQLite database holding airlock's data. It is safe for
// concurrent use.
type Store struct {
	db *sql.DB
	st *statements
	// writer is a semaphore of one: the in-process writer queue.
	writer chan struct{}
}

var _ store.Store = (*Store)(nil)

// Open opens the SQLite database file at path, creating it if needed, and
// applies any pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, pageCacheKiB)
}

// open is Open with each connection's page cache bounded at cacheKiB.
func open(ctx context.Context, path string, cacheKiB int) (*Store, error) {
	db, err := openDBCache(ctx, path, cacheKiB)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	st, err := prepareStatements(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{db: db, st: st, writer: make(chan struct{}, 1)}, nil
}

// Migrate opens the SQLite database file at path, creating it if needed,
// applies the pending migrations and closes it again. It returns the names
// of the migration files it applied, in order (none when the database was
// up to date).
func Migrate(ctx context.Context, path string) (applied []string, err error) {
	db, err := openDB(ctx, path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("sqlite: close %s: %w", path, cerr)
		}
	}()
	applied, err = migrate(ctx, db)
	if err != nil {
		return applied, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	return applied, nil
}

// pageCacheKiB bounds each connection's page cache: 4 MiB, allocated as
// used, so 32 MiB for the pool's maxConns connections together: the
// process does not grow with the database, and the operating system's
// page cache serves the rest. (PRAGMA soft_heap_limit cannot bound them
// together: the driver's SQLite counts no memory,
// SQLITE_DEFAULT_MEMSTATUS=0, so the limit is never reached; see
// ReadPageCaches.) Each cached page of 4 KiB takes an 8 KiB block of
// the driver's allocator, which rounds up to a power of two: the
// resident memory is up to twice the bound. BenchmarkGetRequestLargeDB
// compares it with 8 MiB.
const pageCacheKiB = 4096

// dsn builds the driver's data source name: the plain file name followed
// by the connection settings, which the driver applies to every new
// connection; each connection's page cache holds at most cacheKiB.
func dsn(path string, cacheKiB int) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cacheKiB)) // negative: KiB, not pages
	// The WAL file keeps the size it grew to (under a steady load of 100
	// clients in bench/soak.sh, 4 MiB at first and 22 MiB after 30
	// minutes, as checkpoints fell behind the writers); when a checkpoint
	// lets the WAL start over, SQLite cuts it back to 64 MiB.
	q.Add("_pragma", "journal_size_limit(67108864)")
	q.Add("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// maxConns bounds the connections to the database file. Each holds its
// own page cache and prepared statements; SQLite writes one at a time and
// two cores read no faster with more, and with 32 the process's memory
// grew with the database under the soak (bench/soak.sh). With 8 the
// request pages keep 0.36 of a hello-world handler at 64 connections.
const maxConns = 8

func openDB(ctx context.Context, path string) (*sql.DB, error) {
	return openDBCache(ctx, path, pageCacheKiB)
}

func openDBCache(ctx context.Context, path string, cacheKiB int) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: no database path")
	}
	if strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: open %q: need a plain file path", path)
	}
	path = filepath.Clean(path)
	db, err := sql.Open("sqlite", dsn(path, cacheKiB))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Readers run concurrently under WAL. The pool is bounded and every
	// connection kept, so that connections (with their pragmas and their
	// prepared statements) are made once, not per request under load.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	if err := pingFirst(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// pingFirst opens the first connection. Connections that set up a new
// database at the same moment (switching it to WAL) may be refused with
// SQLITE_BUSY without waiting for the busy timeout, so this retries for a
// while.
func pingFirst(ctx context.Context, db *sql.DB) error {
	const (
		maxWait = 10 * time.Second
		step    = 10 * time.Millisecond
	)
	deadline := time.Now().Add(maxWait)
	for {
		err := db.PingContext(ctx)
		if err == nil || sqliteCode(err)&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(step):
		case <-ctx.Done():
			return err
		}
	}
}

func migrate(ctx context.Context, db *sql.DB) ([]string, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	// goose has no migration lock for SQLite. When two processes migrate a
	// new database at once, each migration still runs in one transaction,
	// so the loser's fails and is rolled back (a table already exists);
	// running Up again then finds it applied. A real error fails every
	// attempt.
	var applied []string
	const attempts = 3
	for i := 1; ; i++ {
		results, err := p.Up(ctx)
		for _, r := range results {
			if r.Error == nil {
				applied = append(applied, filepath.Base(r.Source.Path))
			}
		}
		if err == nil {
			return applied, nil
		}
		if i == attempts || ctx.Err() != nil {
			return applied, fmt.Errorf("apply migrations: %w", err)
		}
	}
}

// Close releases the database.
func (s *Store) Close() error {
	err := s.st.close()
	if dberr := s.db.Close(); dberr != nil {
		err = errors.Join(err, dberr)
	}
	if err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Ping checks the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Tx runs fn in one write transaction (BEGIN IMMEDIATE). It commits when fn
// returns nil and rolls back otherwise, returning fn's error as it is.
func (s *Store) Tx(ctx context.Context, fn func(store.Tx) error) (err error) {
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: begin: %w", context.Cause(ctx))
	}
	defer func() { <-s.writer }()

	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		if rerr := sqlTx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) && err != nil {
			err = errors.Join(err, fmt.Errorf("sqlite: rollback: %w", rerr))
		}
	}()
	if err := fn(&tx{tx: sqlTx, st: s.st}); err != nil {
		return fullErr(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", fullErr(err))
	}
	committed = true
	return nil
}

// readTx runs fn in a read-only (deferred) transaction, so that its
// queries see one snapshot of the database.
func (s *Store) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	t, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer t.Rollback() //nolint:errcheck // read-only: nothing to lose
	return fn(t)
}

// timeLayout is how times are stored: fixed width, UTC, microseconds.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// fullErr marks an error of a database whose disk is full (SQLITE_FULL)
// as store.ErrFull.
func fullErr(err error) error {
	if sqliteCode(err)&0xff == sqlite3.SQLITE_FULL && !errors.Is(err, store.ErrFull) {
		return fmt.Errorf("%w (%w)", store.ErrFull, err)
	}
	return err
}

// insertErr classifies the error of a write: a uniqueness rule refusing
// it is store.ErrConflict, a missing parent row store.ErrNotFound.
func insertErr(err error) error {
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("%w (%w)", store.ErrConflict, err)
	case isForeignKeyViolation(err):
		return fmt.Errorf("%w (%w)", store.ErrNotFound, err)
	}
	return err
}

// execOne runs a statement that must change a row; when it changes none it
// returns store.ErrNotFound.
func execOne(ctx context.Context, stmt *sql.Stmt, args ...any) error {
	res, err := stmt.ExecContext(ctx, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// placeholders returns "?, ?, ..." for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
