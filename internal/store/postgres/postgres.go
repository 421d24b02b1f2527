// Package postgres opens airlock's store (package sqlstore) on a
// PostgreSQL database, through pgx's database/sql driver
// (github.com/jackc/pgx/v5/stdlib), with PostgreSQL's dialect. Several
// airlock processes may share one database: it behaves as the SQLite
// store does, proven by the same conformance suite (package storetest).
//
// What SQLite gets from its single writer, this store gets from row locks
// (see package sqlstore), in transactions at READ COMMITTED: the guard's
// UPDATE of the request's row, SELECT ... FOR UPDATE of the audit chain's
// head, FOR UPDATE SKIP LOCKED in the claim of an upload. A deadlock or
// serialization failure inside Tx is store.ErrConflict (the transaction
// was rolled back; the service's guarded writes start again from their
// read), and the single statements outside Tx run again. After a store
// error inside Tx the transaction is aborted: fn must return the error.
// A server that cannot be reached, is shutting down or starting up, or
// cut the connection is store.ErrUnavailable; the pool makes new
// connections once it is back.
//
// Times are TIMESTAMPTZ: microsecond precision (finer digits are
// truncated, as SQLite's text form does) and read back in UTC.
package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a PostgreSQL database holding airlock's data. It is safe for
// concurrent use, and several Stores (processes) may share a database.
type Store struct {
	*sqlstore.Store
	db *sql.DB
}

// defaultMaxConns is the pool's size unless the URL sets pool_max_conns.
const defaultMaxConns = 16

// defaultConnectTimeout bounds each connection attempt unless the URL sets
// connect_timeout.
const defaultConnectTimeout = 10 * time.Second

// IsURL reports whether s is a PostgreSQL URL (postgres:// or
// postgresql://).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns the URL with its password, if any, replaced, for
// messages and logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(a PostgreSQL URL)"
	}
	return u.Redacted()
}

// Open connects to the PostgreSQL database at connURL (postgres://...),
// applies any pending migrations, and returns the store.
func Open(ctx context.Context, connURL string) (*Store, error) {
	db, err := openDB(ctx, connURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", Redact(connURL), classify(err))
	}
	var s *sqlstore.Store
	if _, err = migrate(ctx, db); err == nil {
		s, err = sqlstore.New(ctx, db, dialect)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", Redact(connURL), err)
	}
	return &Store{Store: s, db: db}, nil
}

// Migrate applies the pending migrations to the database at connURL and
// returns the names of the migration files it applied, in order (none when
// the database was up to date).
func Migrate(ctx context.Context, connURL string) ([]string, error) {
	db, err := openDB(ctx, connURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate %s: %w", Redact(connURL), classify(err))
	}
	defer db.Close()
	applied, err := migrate(ctx, db)
	if err != nil {
		return applied, fmt.Errorf("postgres: migrate %s: %w", Redact(connURL), err)
	}
	return applied, nil
}

// openDB connects a pool of connections through pgx's database/sql
// driver. The URL's pool_* settings size the pool, as pgxpool reads them.
func openDB(ctx context.Context, connURL string) (*sql.DB, error) {
	if !IsURL(connURL) {
		return nil, errors.New("need a postgres:// or postgresql:// URL")
	}
	cfg, err := pgxpool.ParseConfig(connURL)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(connURL, "pool_max_conns=") {
		cfg.MaxConns = defaultMaxConns
	}
	if !strings.Contains(connURL, "connect_timeout=") {
		// A server that does not answer at all (a host down, packets
		// dropped) fails a call after this long instead of holding it.
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	db := stdlib.OpenDB(*cfg.ConnConfig)
	// Connections (with their prepared statements) are kept, not made per
	// request under load.
	db.SetMaxOpenConns(int(cfg.MaxConns))
	db.SetMaxIdleConns(int(cfg.MaxConns))
	db.SetConnMaxLifetime(cfg.MaxConnLifetime)
	db.SetConnMaxIdleTime(cfg.MaxConnIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migrate applies the pending migrations under goose's PostgreSQL
// advisory lock, so that nodes starting together migrate once; another
// node holding the lock is waited for, checking every second for up to
// five minutes.
func migrate(ctx context.Context, db *sql.DB) ([]string, error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return sqlstore.Migrate(ctx, db, goose.DialectPostgres, migrationFiles, goose.WithSessionLocker(locker))
}

// SQLSTATE codes the store classifies.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	// Class 08, connection exception, and these of class 57: the server
	// is going away or not yet back.
	classConnectionException = "08"
	codeAdminShutdown        = "57P01"
	codeCrashShutdown        = "57P02"
	codeCannotConnectNow     = "57P03"
	codeTooManyConnections   = "53300"
	codeDiskFull             = "53100"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports whether err is a deadlock or serialization failure:
// the statement's transaction was rolled back and may simply run again.
func retryable(err error) bool {
	c := pgCode(err)
	return c == codeSerializationFailure || c == codeDeadlockDetected
}

// unreachable reports whether err says the database could not be used at
// all: no connection could be made (refused, timed out, the server
// starting up or out of connections), the server ended the connection
// (shut down, crashed, restarted), or the connection broke under a
// statement. None of these is the caller's doing, and all may pass.
func unreachable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up: not the database's doing
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch c := pgCode(err); {
	case errors.As(err, &ce), errors.As(err, &ne):
		return true
	case strings.HasPrefix(c, classConnectionException),
		c == codeAdminShutdown, c == codeCrashShutdown, c == codeCannotConnectNow, c == codeTooManyConnections:
		return true
	}
	return errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// classify gives a database error its store meaning: a uniqueness rule
// refusing a write, or a transaction that lost a race (deadlock,
// serialization failure), is store.ErrConflict; a missing parent row is
// store.ErrNotFound; a database that cannot be reached (or is going away)
// is store.ErrUnavailable, and one whose disk is full store.ErrFull. An
// error already classified is kept as it is.
func classify(err error) error {
	if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) ||
		errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrFull) {
		return err
	}
	switch c := pgCode(err); {
	case c == codeUniqueViolation || retryable(err):
		return fmt.Errorf("%w (%w)", store.ErrConflict, err)
	case c == codeForeignKeyViolation:
		return fmt.Errorf("%w (%w)", store.ErrNotFound, err)
	case c == codeDiskFull:
		return fmt.Errorf("%w (%w)", store.ErrFull, err)
	case unreachable(err):
		return fmt.Errorf("%w (%w)", store.ErrUnavailable, err)
	}
	return err
}

// dialect is what PostgreSQL does differently: $n placeholders, native
// times and booleans, row locks (see the package comment) and REPEATABLE
// READ snapshots for reads of several statements.
var dialect = sqlstore.Dialect{
	Name:          "postgres",
	Rebind:        rebind,
	Classify:      classify,
	Retryable:     retryable,
	ReadTx:        sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	LockAuditHead: `SELECT last_id, last_hash FROM audit_head WHERE id = 1 FOR UPDATE`,
	ClaimUpload:   claimUploadSQL,
	ReadBatch:     readBatch,
	AppendEvent: `
		WITH ev AS (
			INSERT INTO audit_log (id, type, "user", workspace, request, path, extra, created_at,
				hidden, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id, hash)
		UPDATE audit_head SET last_id = ev.id, last_hash = ev.hash
		FROM ev WHERE audit_head.id = 1 AND audit_head.last_id = ?`,
}

// readBatch sends the queries of one read as one pipelined batch inside a
// read-only REPEATABLE READ transaction, on a connection of the pool.
func readBatch(ctx context.Context, db *sql.DB, queries []sqlstore.ReadQuery) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		b := &pgx.Batch{}
		b.Queue("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
		for _, q := range queries {
			b.Queue(q.SQL, q.Args...)
		}
		b.Queue("COMMIT")
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		for _, q := range queries {
			rows, err := br.Query()
			for err == nil && rows.Next() {
				err = q.Row(rows)
			}
			if rows != nil {
				rows.Close()
				err = errors.Join(err, rows.Err())
			}
			if err != nil {
				return err
			}
		}
		if _, err := br.Exec(); err != nil {
			return err
		}
		return br.Close()
	})
}

// rebind numbers the ? placeholders of query: $1, $2, ... (no statement
// of the store has a ? of its own).
func rebind(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// claimUploadSQL leases the next file due in one statement. The subquery
// walks the queue index (request_files_upload_queue) in order and locks
// the file it picks, skipping files another claim has locked at this
// moment; a file whose lease another claim has just committed fails the
// re-check of the WHERE clause under the lock and is passed over. So two
// uploaders, in any processes, never get the same file.
const claimUploadSQL = `
		UPDATE request_files SET upload_lease_owner = ?, upload_lease_until = ?, upload_next_at = ?
		WHERE id = (
			SELECT f.id FROM request_files f
			JOIN requests r ON r.id = f.request_id
			WHERE f.released_at IS NOT NULL AND NOT f.uploaded
				AND (f.upload_next_at IS NULL OR f.upload_next_at <= ?)
				AND (f.upload_lease_until IS NULL OR f.upload_lease_until <= ?)
				AND f.filetype = 'OUTPUT' AND r.status = 'APPROVED'
			ORDER BY f.upload_next_at NULLS FIRST, f.id
			LIMIT 1
			FOR UPDATE OF f SKIP LOCKED)
		RETURNING request_id, relpath`

// MigrationsVersion names the set of migrations (a hash of their files),
// for tests that keep a migrated database to copy (pgtest.NewDatabaseFrom).
func MigrationsVersion() string {
	h := sha256.New()
	entries, _ := migrationFiles.ReadDir("migrations")
	for _, e := range entries {
		b, _ := migrationFiles.ReadFile("migrations/" + e.Name())
		fmt.Fprintf(h, "%s %d\n%s", e.Name(), len(b), b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
