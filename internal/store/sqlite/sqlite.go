// Package sqlite opens airlock's store (package sqlstore) on a SQLite
// database, through the pure-Go driver modernc.org/sqlite, with SQLite's
// dialect: its connection settings, migrations, errors and the statements
// it writes its own way.
//
// The database runs in WAL mode with foreign keys on; write transactions
// are BEGIN IMMEDIATE and, within one process, also take turns on a
// semaphore so that waiting writers queue instead of polling SQLite's busy
// handler. Times are stored as TEXT in sqlstore.TimeLayout (so they sort
// and round-trip exactly at microsecond precision) and read back in UTC.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a SQLite database holding airlock's data. It is safe for
// concurrent use.
type Store struct {
	*sqlstore.Store
	db *sql.DB
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
	s, err := sqlstore.New(ctx, db, dialect)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{Store: s, db: db}, nil
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
	// goose has no migration lock for SQLite. When two processes migrate a
	// new database at once, each migration still runs in one transaction,
	// so the loser's fails and is rolled back (a table already exists);
	// running them again then finds it applied. A real error fails every
	// attempt.
	var all []string
	for i := 1; ; i++ {
		applied, err := sqlstore.Migrate(ctx, db, goose.DialectSQLite3, migrationFiles)
		all = append(all, applied...)
		if err == nil || i == 3 || ctx.Err() != nil {
			return all, err
		}
	}
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// classify gives a SQLite error its store meaning: a uniqueness rule
// refusing a write is store.ErrConflict, a missing parent row
// store.ErrNotFound, a full disk (SQLITE_FULL) store.ErrFull. An error
// already classified is kept as it is.
func classify(err error) error {
	if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) ||
		errors.Is(err, store.ErrFull) {
		return err
	}
	switch c := sqliteCode(err); {
	case c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w (%w)", store.ErrConflict, err)
	case c == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w (%w)", store.ErrNotFound, err)
	case c&0xff == sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w (%w)", store.ErrFull, err)
	}
	return err
}

// dialect is what SQLite does differently. Write transactions are BEGIN
// IMMEDIATE (the DSN's _txlock) and take turns in the process; times are
// TEXT in sqlstore.TimeLayout, which sorts as the times do; names sort by
// SQLite's BINARY collation, the byte order PostgreSQL's "C" gives.
var dialect = sqlstore.Dialect{
	Name:         "sqlite",
	Rebind:       func(q string) string { return strings.ReplaceAll(q, `COLLATE "C"`, "COLLATE BINARY") },
	Time:         func(t time.Time) any { return sqlstore.FormatTime(t) },
	Classify:     classify,
	ReadTx:       sql.TxOptions{ReadOnly: true},
	SerialWrites: true,
	// The write lock of the IMMEDIATE transaction holds the head.
	LockAuditHead: `SELECT last_id, last_hash FROM audit_head WHERE id = 1`,
	ClaimUpload:   claimUploadSQL,
}

// claimUploadSQL leases the next file due in one statement, under the
// write lock of an IMMEDIATE transaction, walking the upload queue's
// partial index (whose WHERE it repeats word for word).
const claimUploadSQL = `
		UPDATE request_files SET upload_lease_owner = ?, upload_lease_until = ?, upload_next_at = ?
		WHERE id = (
			SELECT f.id FROM request_files f INDEXED BY request_files_upload_queue
			JOIN requests r ON r.id = f.request_id
			WHERE f.released_at IS NOT NULL AND f.uploaded = 0
				AND (f.upload_next_at IS NULL OR f.upload_next_at <= ?)
				AND (f.upload_lease_until IS NULL OR f.upload_lease_until <= ?)
				AND f.filetype = 'OUTPUT' AND r.status = 'APPROVED'
			ORDER BY f.upload_next_at, f.id
			LIMIT 1)
		RETURNING request_id, relpath`
