// Package sqlstore is the one implementation of store.Store, over
// database/sql; packages sqlite and postgres each give it a Dialect (the
// few things their databases do differently) and a connected *sql.DB.
//
// Statements are written once, with ? placeholders, in SQL both databases
// accept: TRUE and FALSE for booleans, ON CONFLICT for upserts and for
// inserts that may find their row taken, RETURNING, ->> for a field of the
// audit events' JSON, COLLATE "C" where names sort byte by byte. The
// dialect rewrites them once, as they are prepared (Rebind), gives the
// statements that truly differ (LockAuditHead, ClaimUpload), says how a
// time is written (Time) and what a driver error means (Classify).
//
// Transactions: Tx is one write transaction. Where the dialect has
// SerialWrites (SQLite, whose database takes one writer at a time), the
// process's writers also take turns on a semaphore, so that waiting
// writers queue instead of polling the database's lock. Elsewhere
// (PostgreSQL) row locks order them: GuardRequest's UPDATE locks the
// request's row, and a transaction locks the request's row first, its
// files and the audit chain's head after, so that no two wait on each
// other in a cycle. Reads of several statements run in one read-only
// transaction (ReadTx), so that they see one snapshot.
//
// A uniqueness rule refusing a write, or a transaction that lost a race,
// is store.ErrConflict; a missing parent row store.ErrNotFound; a database
// that cannot be reached store.ErrUnavailable; a full disk store.ErrFull.
//
// What GetRequest returns: SubmittedReviews and every file's Reviews are
// non-nil maps; Organisations, TurnReviewers, Groups, Files and Comments
// are nil when empty.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// Dialect is what one database does differently.
type Dialect struct {
	// Name prefixes the store's error messages ("sqlite", "postgres").
	Name string
	// Rebind rewrites a statement written with ? placeholders into the
	// database's SQL; nil leaves it as it is.
	Rebind func(query string) string
	// Time is how a time is passed to the driver; nil passes it as it is.
	Time func(time.Time) any
	// Classify gives a driver error its store meaning (see the package
	// comment), leaving an error already classified as it is.
	Classify func(error) error
	// Retryable reports whether a statement of its own that failed with
	// err may simply run again (a deadlock); nil: none may.
	Retryable func(err error) bool
	// ReadTx are the options of the transactions of reads.
	ReadTx sql.TxOptions
	// SerialWrites makes the process's write transactions take turns,
	// and the upload leases' single statements run in one.
	SerialWrites bool
	// LockAuditHead reads the audit chain's head (last_id, last_hash)
	// and holds it until the transaction ends.
	LockAuditHead string
	// AppendEvent, when set, inserts an event (the columns of
	// insertEventSQL) and moves the audit chain's head to it from the
	// last id (its last argument) in one statement.
	AppendEvent string
	// ClaimUpload leases the next file due (see Store.ClaimUpload); its
	// arguments are owner, until, until, now, now.
	ClaimUpload string
	// ReadBatch, when set, runs the queries of one read (rebound, their
	// arguments converted) in one snapshot and one round trip, calling
	// each one's Row on its rows in turn.
	ReadBatch func(ctx context.Context, db *sql.DB, queries []ReadQuery) error
}

// Store is a database holding airlock's data. It is safe for concurrent
// use.
type Store struct {
	db    *sql.DB
	d     Dialect
	stmts map[string]*sql.Stmt // by the SQL written here
	// writer is a semaphore of one: the in-process writer queue (with
	// SerialWrites only).
	writer chan struct{}
}

var _ store.Store = (*Store)(nil)

// New prepares the store's statements on db, a database at the current
// migration, and returns the store. Close closes db.
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	if d.Rebind == nil {
		d.Rebind = func(q string) string { return q }
	}
	if d.Time == nil {
		d.Time = func(t time.Time) any { return t }
	}
	if d.Retryable == nil {
		d.Retryable = func(error) bool { return false }
	}
	s := &Store{db: db, d: d, stmts: map[string]*sql.Stmt{}}
	if d.SerialWrites {
		s.writer = make(chan struct{}, 1)
	}
	for _, q := range append(statements, d.LockAuditHead, d.ClaimUpload, d.AppendEvent) {
		if q == "" || s.stmts[q] != nil {
			continue
		}
		st, err := db.PrepareContext(ctx, d.Rebind(q))
		if err != nil {
			s.closeStmts()
			return nil, fmt.Errorf("%s: prepare %s: %w", d.Name, strings.Join(strings.Fields(q), " "), d.Classify(err))
		}
		s.stmts[q] = st
	}
	return s, nil
}

func (s *Store) closeStmts() error {
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// Close releases the database.
func (s *Store) Close() error {
	err := errors.Join(s.closeStmts(), s.db.Close())
	if err != nil {
		return fmt.Errorf("%s: close: %w", s.d.Name, err)
	}
	return nil
}

// Ping checks the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.fail(s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one), "ping")
}

// fail gives err its store meaning and says what failed; nil when err is
// nil.
func (s *Store) fail(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s: %w", s.d.Name, fmt.Sprintf(format, args...), s.d.Classify(err))
}

// Tx runs fn in one write transaction. It commits when fn returns nil and
// rolls back otherwise, returning fn's error as it is.
func (s *Store) Tx(ctx context.Context, fn func(store.Tx) error) (err error) {
	if s.writer != nil {
		select {
		case s.writer <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("%s: begin: %w", s.d.Name, context.Cause(ctx))
		}
		defer func() { <-s.writer }()
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(err, "begin")
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		if rerr := sqlTx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) && err != nil {
			err = errors.Join(err, fmt.Errorf("%s: rollback: %w", s.d.Name, rerr))
		}
	}()
	if err := fn(&tx{q: newQ(s, sqlTx)}); err != nil {
		return err // classified by the method that failed, if it is the store's
	}
	if err := sqlTx.Commit(); err != nil {
		return s.fail(err, "commit")
	}
	committed = true
	return nil
}

// read runs fn in a read-only transaction, so that its queries see one
// snapshot of the database.
func (s *Store) read(ctx context.Context, fn func(q) error) error {
	opts := s.d.ReadTx
	t, err := s.db.BeginTx(ctx, &opts)
	if err != nil {
		return err
	}
	defer t.Rollback() //nolint:errcheck // read-only: nothing to lose
	if err := fn(newQ(s, t)); err != nil {
		return err
	}
	return t.Commit()
}

// writeOne runs fn, one write of its own: in a write transaction where
// writes take turns, otherwise on its own and again after a deadlock.
func (s *Store) writeOne(ctx context.Context, fn func(q) error) error {
	if s.writer != nil {
		return s.Tx(ctx, func(t store.Tx) error { return fn(t.(*tx).q) })
	}
	return s.retry(ctx, func() error { return fn(q{s: s}) })
}

func (s *Store) retry(ctx context.Context, fn func() error) error {
	return Retry(ctx, s.d.Retryable, fn)
}

// Retry runs fn, a statement or transaction of its own, again when it
// fails with an error retryable says may simply run again (a deadlock or
// serialization failure): the waiting a database with one writer would
// have done on its lock.
func Retry(ctx context.Context, retryable func(error) bool, fn func() error) error {
	const attempts = 10
	for i := 1; ; i++ {
		err := fn()
		if err == nil || !retryable(err) || i == attempts {
			return err
		}
		d := time.Duration(rand.IntN(i*2000)+500) * time.Microsecond
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return err
		}
	}
}

// q runs the store's statements, in a transaction when tx is not nil.
type q struct {
	s  *Store
	tx *sql.Tx
	// txStmts, in a transaction, are its statements by query: every
	// sql.Tx.StmtContext makes a statement the transaction keeps until it
	// ends, so a transaction that ran one statement many times (an
	// import's) would grow with each run.
	txStmts *txStmts
}

type txStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newQ(s *Store, t *sql.Tx) q { return q{s: s, tx: t, txStmts: &txStmts{}} }

// errNoRow marks a statement that changed no row.
var errNoRow = fmt.Errorf("no such row: %w", store.ErrNotFound)

// args gives times as the dialect writes them, nil for a nil *time.Time.
func (c q) args(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = c.s.d.Time(v)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = c.s.d.Time(*v)
			}
		}
	}
	return args
}

// stmt is the prepared statement of query, in the transaction; nil for a
// query built at run time.
func (c q) stmt(ctx context.Context, query string) *sql.Stmt {
	st := c.s.stmts[query]
	if st == nil || c.tx == nil {
		return st
	}
	if c.txStmts == nil {
		return c.tx.StmtContext(ctx, st)
	}
	c.txStmts.mu.Lock()
	defer c.txStmts.mu.Unlock()
	if ts := c.txStmts.m[query]; ts != nil {
		return ts
	}
	ts := c.tx.StmtContext(ctx, st)
	if c.txStmts.m == nil {
		c.txStmts.m = map[string]*sql.Stmt{}
	}
	c.txStmts.m[query] = ts
	return ts
}

func (c q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, c.args(args)...)
	}
	if c.tx != nil {
		return c.tx.ExecContext(ctx, c.s.d.Rebind(query), c.args(args)...)
	}
	return c.s.db.ExecContext(ctx, c.s.d.Rebind(query), c.args(args)...)
}

func (c q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, c.args(args)...)
	}
	if c.tx != nil {
		return c.tx.QueryContext(ctx, c.s.d.Rebind(query), c.args(args)...)
	}
	return c.s.db.QueryContext(ctx, c.s.d.Rebind(query), c.args(args)...)
}

func (c q) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, c.args(args)...)
	}
	if c.tx != nil {
		return c.tx.QueryRowContext(ctx, c.s.d.Rebind(query), c.args(args)...)
	}
	return c.s.db.QueryRowContext(ctx, c.s.d.Rebind(query), c.args(args)...)
}

// execOne runs a statement that must change a row; when it changes none
// it returns errNoRow (a store.ErrNotFound).
func (c q) execOne(ctx context.Context, query string, args ...any) error {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return c.s.d.Classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errNoRow
	}
	return nil
}

// exists reports whether query returns a row.
func (c q) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := c.queryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// TimeLayout is how a database without a time type (SQLite) stores
// times: fixed width, UTC, microseconds, so that they sort as text and
// round-trip exactly.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime gives t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a time in TimeLayout, in UTC.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// timeCol scans a time column, stored as a time or as TimeLayout text,
// into t, in UTC.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*c.t = v.UTC()
		return nil
	case string:
		t, err := ParseTime(v)
		*c.t = t
		return err
	case []byte:
		t, err := ParseTime(string(v))
		*c.t = t
		return err
	}
	return fmt.Errorf("bad stored time %v (%T)", src, src)
}

// nullTimeCol scans a time column that may be NULL (nil) into t.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
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

// placeholders returns "?, ?, ..." for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// ActiveStatusesSQL is domain.ActiveStatuses() as an SQL list, as the
// partial unique index requests_one_active of both databases' migrations
// writes it (their tests check it), so that queries using it can use that
// index.
var ActiveStatusesSQL = func() string {
	var quoted []string
	for _, st := range domain.ActiveStatuses() {
		quoted = append(quoted, "'"+string(st)+"'")
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}()

// Scanner reads a row's columns.
type Scanner interface{ Scan(dest ...any) error }

// ReadQuery is one query of a read of several (readAll), and what reads
// each of its rows.
type ReadQuery struct {
	SQL  string
	Args []any
	Row  func(Scanner) error
}

// readAll runs queries in one snapshot, calling each one's Row on its rows
// in turn: in one round trip where the dialect has ReadBatch.
func (s *Store) readAll(ctx context.Context, queries ...ReadQuery) error {
	if s.d.ReadBatch != nil {
		c := q{s: s}
		for i, rq := range queries {
			queries[i].SQL, queries[i].Args = s.d.Rebind(rq.SQL), c.args(rq.Args)
		}
		return s.d.ReadBatch(ctx, s.db, queries)
	}
	return s.read(ctx, func(c q) error {
		for _, rq := range queries {
			if err := c.each(ctx, func(rows *sql.Rows) error { return rq.Row(rows) }, rq.SQL, rq.Args...); err != nil {
				return err
			}
		}
		return nil
	})
}
