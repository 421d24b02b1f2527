// Package dbcopy moves an airlock installation from SQLite to PostgreSQL:
// it copies every table of a migrated SQLite database into an empty,
// migrated PostgreSQL database in one transaction, then compares the two
// row by row.
//
// The tables and columns are read from the databases themselves, and a
// copy is refused unless both have exactly the tables of Tables with the
// same columns, so that a migration added to one dialect and not the other
// cannot be copied past silently. Values are converted by the PostgreSQL
// column's type: SQLite's fixed-width UTC text times become TIMESTAMPTZ,
// its 0/1 flags BOOLEAN.
package dbcopy

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/airlock-go/airlock/internal/store/postgres"
	"github.com/airlock-go/airlock/internal/store/sqlstore"
)

// Table is one table to copy, in an order where every table comes after
// those it refers to, with the columns that order its rows.
type Table struct {
	Name string
	Key  []string
}

// Tables lists every table of airlock's schema (but goose's own).
var Tables = []Table{
	{"users", []string{"user_id"}},
	{"requests", []string{"id"}},
	{"submitted_reviews", []string{"request_id", "review_turn", "reviewer"}},
	{"file_groups", []string{"id"}},
	{"request_files", []string{"id"}},
	{"file_reviews", []string{"id"}},
	{"file_versions", []string{"request_id", "relpath", "ordinal"}},
	{"reviewed_versions", []string{"request_id", "relpath", "reviewer"}},
	{"comments", []string{"id"}},
	{"audit_log", []string{"id"}},
	{"audit_head", []string{"id"}},
	{"api_tokens", []string{"hash"}},
	{"sessions", []string{"token"}},
}

// TableCount is the number of rows of a table.
type TableCount struct {
	Table string
	Rows  int64
}

// column is a column of a table, with its PostgreSQL type.
type column struct {
	name   string
	pgType string // information_schema.columns.data_type
}

// Copy copies the SQLite database file at sqlitePath into the PostgreSQL
// database at pgURL, which it migrates first and which must then be empty,
// and compares every table of the two, row by row, from the snapshot of
// SQLite it copied. It returns the number of rows of each table. The
// PostgreSQL side is written in one transaction: a failed copy leaves it
// empty.
func Copy(ctx context.Context, sqlitePath, pgURL string) ([]TableCount, error) {
	source, err := openSQLite(ctx, sqlitePath)
	if err != nil {
		return nil, err
	}
	defer source.Close()
	src := source.conn
	if _, err := postgres.Migrate(ctx, pgURL); err != nil {
		return nil, fmt.Errorf("dbcopy: %w", err)
	}
	dst, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: connect to %s: %w", postgres.Redact(pgURL), err)
	}
	defer dst.Close(context.WithoutCancel(ctx))

	schema, err := compareSchemas(ctx, src, dst)
	if err != nil {
		return nil, err
	}
	if err := checkEmpty(ctx, dst); err != nil {
		return nil, err
	}

	// One read transaction of SQLite: the copy and its check see one
	// snapshot, even while airlock writes to it (it should be stopped: what
	// it writes after the snapshot would not be copied, and is detected).
	before, err := dataVersion(ctx, src)
	if err != nil {
		return nil, err
	}
	counts, err := copyAndVerify(ctx, src, dst, schema)
	if err != nil {
		return nil, err
	}
	after, err := dataVersion(ctx, src)
	if err != nil {
		return nil, err
	}
	if after != before {
		return counts, errors.New("dbcopy: the SQLite database changed while it was copied: the copy holds the state " +
			"at the start and misses what was written since. Stop airlock, empty the PostgreSQL database " +
			"(drop and create it), and copy again")
	}
	return counts, nil
}

// sqliteSource is the SQLite database read, on one connection.
type sqliteSource struct {
	db   *sql.DB
	conn *sql.Conn
}

func (s *sqliteSource) Close() {
	s.conn.Close()
	s.db.Close()
}

// openSQLite opens an existing SQLite database, and checks that it is an
// airlock database.
func openSQLite(ctx context.Context, path string) (*sqliteSource, error) {
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("dbcopy: %q: need a plain file path", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: no SQLite database at %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("dbcopy: %s is not a database file", path)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("dbcopy: open %s: %w", path, err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("dbcopy: open %s: %w", path, err)
	}
	src := &sqliteSource{db: db, conn: conn}
	var version sql.NullInt64
	err = conn.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&version)
	if err != nil || !version.Valid {
		src.Close()
		if err == nil {
			err = errors.New("no migrations recorded")
		}
		return nil, fmt.Errorf("dbcopy: %s is not an airlock database: %w", path, err)
	}
	return src, nil
}

// dataVersion is SQLite's counter of changes made by other connections.
func dataVersion(ctx context.Context, src *sql.Conn) (int64, error) {
	var v int64
	if err := src.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("dbcopy: read SQLite data version: %w", err)
	}
	return v, nil
}

// compareSchemas checks that both databases hold exactly Tables (and
// goose's table) with the same columns and the same migration version,
// and returns each table's columns with their PostgreSQL types.
func compareSchemas(ctx context.Context, src *sql.Conn, dst *pgx.Conn) (map[string][]column, error) {
	var srcVersion, dstVersion int64
	if err := src.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&srcVersion); err != nil {
		return nil, fmt.Errorf("dbcopy: SQLite migration version: %w", err)
	}
	if err := dst.QueryRow(ctx, `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&dstVersion); err != nil {
		return nil, fmt.Errorf("dbcopy: PostgreSQL migration version: %w", err)
	}
	if srcVersion != dstVersion {
		return nil, fmt.Errorf("dbcopy: the SQLite database is at migration %d, this airlock's PostgreSQL schema at %d: "+
			"run `airlock migrate --database-url sqlite:PATH` with this airlock first", srcVersion, dstVersion)
	}

	want := []string{"goose_db_version"}
	for _, t := range Tables {
		want = append(want, t.Name)
	}
	slices.Sort(want)
	srcTables, err := sqliteTables(ctx, src)
	if err != nil {
		return nil, err
	}
	dstTables, err := pgTables(ctx, dst)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(srcTables, want) || !slices.Equal(dstTables, want) {
		return nil, fmt.Errorf("dbcopy: unexpected tables: SQLite has %v, PostgreSQL %v; this airlock copies %v", srcTables, dstTables, want)
	}

	schema := map[string][]column{}
	for _, t := range Tables {
		srcCols, err := sqliteColumns(ctx, src, t.Name)
		if err != nil {
			return nil, err
		}
		dstCols, err := pgColumns(ctx, dst, t.Name)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, c := range dstCols {
			names = append(names, c.name)
		}
		if !slices.Equal(sortedCopy(srcCols), sortedCopy(names)) {
			return nil, fmt.Errorf("dbcopy: table %s has columns %v in SQLite but %v in PostgreSQL", t.Name, srcCols, names)
		}
		schema[t.Name] = dstCols
	}
	return schema, nil
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func sqliteTables(ctx context.Context, src *sql.Conn) ([]string, error) {
	rows, err := src.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: SQLite tables: %w", err)
	}
	return collectStrings(rows)
}

func sqliteColumns(ctx context.Context, src *sql.Conn, table string) ([]string, error) {
	rows, err := src.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: SQLite columns of %s: %w", table, err)
	}
	return collectStrings(rows)
}

func collectStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func pgTables(ctx context.Context, dst *pgx.Conn) ([]string, error) {
	rows, err := dst.Query(ctx, `
		SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: PostgreSQL tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("dbcopy: PostgreSQL tables: %w", err)
	}
	return names, nil
}

func pgColumns(ctx context.Context, dst *pgx.Conn, table string) ([]column, error) {
	rows, err := dst.Query(ctx, `
		SELECT column_name::text, data_type::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: PostgreSQL columns of %s: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		err := r.Scan(&c.name, &c.pgType)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("dbcopy: PostgreSQL columns of %s: %w", table, err)
	}
	return cols, nil
}

// checkEmpty refuses a PostgreSQL database holding any airlock data.
func checkEmpty(ctx context.Context, dst *pgx.Conn) error {
	for _, t := range Tables {
		var n int64
		query := `SELECT count(*) FROM ` + pgx.Identifier{t.Name}.Sanitize()
		if t.Name == "audit_head" {
			query += ` WHERE NOT (id = 1 AND last_id = 0 AND last_hash = '')` // the empty chain's head
		}
		if err := dst.QueryRow(ctx, query).Scan(&n); err != nil {
			return fmt.Errorf("dbcopy: count %s: %w", t.Name, err)
		}
		if n > 0 {
			return fmt.Errorf("dbcopy: the PostgreSQL database is not empty (table %s has %d rows): "+
				"db copy only fills an empty database; create a new one", t.Name, n)
		}
	}
	return nil
}

// quoteSQLite quotes an identifier for SQLite.
func quoteSQLite(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// copyAndVerify copies every table inside one SQLite read transaction and
// one PostgreSQL write transaction, commits, and compares the tables.
func copyAndVerify(ctx context.Context, src *sql.Conn, dst *pgx.Conn, schema map[string][]column) ([]TableCount, error) {
	srcTx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("dbcopy: begin reading SQLite: %w", err)
	}
	defer srcTx.Rollback() //nolint:errcheck // read-only

	dstTx, err := dst.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbcopy: begin writing PostgreSQL: %w", err)
	}
	defer dstTx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit, a no-op

	var counts []TableCount
	for _, t := range Tables {
		n, err := copyTable(ctx, srcTx, dstTx, t, schema[t.Name])
		if err != nil {
			return nil, fmt.Errorf("dbcopy: copy %s: %w", t.Name, err)
		}
		counts = append(counts, TableCount{t.Name, n})
	}
	if err := resetSequences(ctx, srcTx, dstTx); err != nil {
		return nil, err
	}
	if err := dstTx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("dbcopy: commit: %w", err)
	}

	for _, t := range Tables {
		if err := compareTable(ctx, srcTx, dst, t, schema[t.Name]); err != nil {
			return counts, fmt.Errorf("dbcopy: verify %s: %w", t.Name, err)
		}
	}
	return counts, nil
}

// copyTable streams a table from SQLite into PostgreSQL with COPY.
func copyTable(ctx context.Context, srcTx *sql.Tx, dstTx pgx.Tx, t Table, cols []column) (int64, error) {
	if t.Name == "audit_head" {
		// The migration wrote the empty chain's head; the copy replaces it.
		if _, err := dstTx.Exec(ctx, `DELETE FROM audit_head`); err != nil {
			return 0, err
		}
	}
	names := make([]string, len(cols))
	quoted := make([]string, len(cols))
	for i, c := range cols {
		names[i], quoted[i] = c.name, quoteSQLite(c.name)
	}
	rows, err := srcTx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+quoteSQLite(t.Name))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	source := &rowSource{rows: rows, cols: cols, values: make([]any, len(cols))}
	n, err := dstTx.CopyFrom(ctx, pgx.Identifier{t.Name}, names, source)
	if err != nil {
		return n, err
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, nil
}

// rowSource feeds SQLite rows, converted, to pgx's CopyFrom.
type rowSource struct {
	rows   *sql.Rows
	cols   []column
	values []any
	err    error
}

func (r *rowSource) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	raw := make([]any, len(r.cols))
	ptrs := make([]any, len(r.cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		r.err = err
		return false
	}
	for i, c := range r.cols {
		v, err := toPostgres(raw[i], c.pgType)
		if err != nil {
			r.err = fmt.Errorf("column %s: %w", c.name, err)
			return false
		}
		r.values[i] = v
	}
	return true
}

func (r *rowSource) Values() ([]any, error) { return r.values, nil }
func (r *rowSource) Err() error             { return r.err }

// toPostgres converts a value read from SQLite to the Go value pgx writes
// into a column of type pgType.
func toPostgres(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "timestamp with time zone":
		s, ok := textOf(v)
		if !ok {
			return nil, fmt.Errorf("time stored as %T", v)
		}
		t, err := time.Parse(sqlstore.TimeLayout, s)
		if err != nil {
			return nil, fmt.Errorf("bad stored time %q: %w", s, err)
		}
		return t, nil
	case "boolean":
		n, ok := v.(int64)
		if !ok || (n != 0 && n != 1) {
			return nil, fmt.Errorf("flag stored as %v", v)
		}
		return n == 1, nil
	case "bigint", "integer":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("integer stored as %T %v", v, v)
		}
		return n, nil
	case "double precision":
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		}
		return nil, fmt.Errorf("number stored as %T %v", v, v)
	case "bytea":
		switch b := v.(type) {
		case []byte:
			if b == nil {
				b = []byte{} // an empty BLOB, which the driver reads as nil; not NULL
			}
			return b, nil
		case string:
			return []byte(b), nil
		}
		return nil, fmt.Errorf("bytes stored as %T", v)
	case "text", "json", "jsonb":
		s, ok := textOf(v)
		if !ok {
			return nil, fmt.Errorf("text stored as %T %v", v, v)
		}
		return s, nil
	}
	return nil, fmt.Errorf("no conversion to PostgreSQL type %s", pgType)
}

func textOf(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	}
	return "", false
}

// resetSequences moves every identity sequence past the copied ids, and
// past any id SQLite's AUTOINCREMENT gave out before (so that a deleted
// comment's id is never given again).
func resetSequences(ctx context.Context, srcTx *sql.Tx, dstTx pgx.Tx) error {
	rows, err := dstTx.Query(ctx, `
		SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("dbcopy: identity columns: %w", err)
	}
	type ident struct{ table, column string }
	idents, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ident, error) {
		var i ident
		err := r.Scan(&i.table, &i.column)
		return i, err
	})
	if err != nil {
		return fmt.Errorf("dbcopy: identity columns: %w", err)
	}
	for _, id := range idents {
		var high sql.NullInt64
		err := srcTx.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, id.table).Scan(&high)
		if err != nil && !errors.Is(err, sql.ErrNoRows) && !strings.Contains(err.Error(), "no such table") {
			return fmt.Errorf("dbcopy: SQLite sequence of %s: %w", id.table, err)
		}
		table := pgx.Identifier{id.table}.Sanitize()
		col := pgx.Identifier{id.column}.Sanitize()
		_, err = dstTx.Exec(ctx, `
			SELECT CASE WHEN n > 0 THEN setval(seq, n) ELSE setval(seq, 1, false) END
			FROM (SELECT pg_get_serial_sequence($1, $2) AS seq,
				GREATEST((SELECT COALESCE(MAX(`+col+`), 0) FROM `+table+`), $3::bigint) AS n) s`,
			id.table, id.column, high.Int64)
		if err != nil {
			return fmt.Errorf("dbcopy: move the sequence of %s.%s: %w", id.table, id.column, err)
		}
	}
	return nil
}

// compareTable reads a table from both databases in key order and
// compares every row, value by value.
func compareTable(ctx context.Context, srcTx *sql.Tx, dst *pgx.Conn, t Table, cols []column) error {
	srcQuoted := make([]string, len(cols))
	dstExprs := make([]string, len(cols))
	for i, c := range cols {
		srcQuoted[i] = quoteSQLite(c.name)
		dstExprs[i] = pgx.Identifier{c.name}.Sanitize()
		if c.pgType == "json" || c.pgType == "jsonb" {
			dstExprs[i] += "::text"
		}
	}
	var srcOrder, dstOrder []string
	for _, k := range t.Key {
		srcOrder = append(srcOrder, quoteSQLite(k))
		expr := pgx.Identifier{k}.Sanitize()
		for _, c := range cols {
			if c.name == k && c.pgType == "text" {
				expr += ` COLLATE "C"` // byte order, as SQLite's BINARY
			}
		}
		dstOrder = append(dstOrder, expr)
	}
	srcRows, err := srcTx.QueryContext(ctx, `SELECT `+strings.Join(srcQuoted, ", ")+` FROM `+quoteSQLite(t.Name)+
		` ORDER BY `+strings.Join(srcOrder, ", "))
	if err != nil {
		return err
	}
	defer srcRows.Close()
	dstRows, err := dst.Query(ctx, `SELECT `+strings.Join(dstExprs, ", ")+` FROM `+pgx.Identifier{t.Name}.Sanitize()+
		` ORDER BY `+strings.Join(dstOrder, ", "))
	if err != nil {
		return err
	}
	defer dstRows.Close()

	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for row := 1; ; row++ {
		srcMore, dstMore := srcRows.Next(), dstRows.Next()
		if !srcMore || !dstMore {
			if srcMore != dstMore {
				return fmt.Errorf("row counts differ: SQLite has more rows: %v, PostgreSQL: %v (at row %d)", srcMore, dstMore, row)
			}
			break
		}
		if err := srcRows.Scan(ptrs...); err != nil {
			return err
		}
		dstVals, err := dstRows.Values()
		if err != nil {
			return err
		}
		for i, c := range cols {
			a, err := canonical(raw[i], c.pgType, true)
			if err != nil {
				return fmt.Errorf("row %d, column %s in SQLite: %w", row, c.name, err)
			}
			b, err := canonical(dstVals[i], c.pgType, false)
			if err != nil {
				return fmt.Errorf("row %d, column %s in PostgreSQL: %w", row, c.name, err)
			}
			if a != b {
				return fmt.Errorf("row %d (in key order), column %s: SQLite has %s, PostgreSQL %s", row, c.name, a, b)
			}
		}
	}
	if err := srcRows.Err(); err != nil {
		return err
	}
	return dstRows.Err()
}

// canonical writes a value of either database as one string, so that the
// same stored value reads the same from both.
func canonical(v any, pgType string, fromSQLite bool) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	if fromSQLite {
		var err error
		if v, err = toPostgres(v, pgType); err != nil {
			return "", err
		}
	}
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(sqlstore.TimeLayout), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case []byte:
		return `\x` + hex.EncodeToString(x), nil
	case string:
		if pgType == "jsonb" {
			// JSONB keeps the document, not its spelling.
			var doc any
			if err := json.Unmarshal([]byte(x), &doc); err != nil {
				return "", fmt.Errorf("bad JSON %q: %w", x, err)
			}
			b, err := json.Marshal(doc)
			if err != nil {
				return "", err
			}
			return string(b), nil
		}
		return strconv.Quote(x), nil
	}
	return "", fmt.Errorf("unexpected value %T", v)
}
