package importref

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"

	_ "modernc.org/sqlite" // the reference's database is SQLite
)

// The reference's tables, and the columns the import reads from each, by
// name: a long-lived installation's tables may hold them in another order.
var sourceColumns = map[string][]string{
	"local_db_requestmetadata": {"id", "workspace", "author", "created_at", "status", "review_turn",
		"turn_reviewers", "submitted_reviews", "organisations", "project", "last_submitted_at"},
	"local_db_filegroupmetadata": {"id", "name", "request_id", "context", "controls", "created_at", "updated_at"},
	"local_db_requestfilemetadata": {"id", "relpath", "filegroup_id", "file_id", "filetype", "request_id",
		"col_count", "commit", "job_id", "row_count", "size", "timestamp", "repo", "released_at", "released_by",
		"upload_attempts", "uploaded", "uploaded_at", "upload_attempted_at"},
	"local_db_filereview":       {"id", "reviewer", "status", "created_at", "updated_at", "file_id", "review_turn"},
	"local_db_filegroupcomment": {"id", "comment", "author", "created_at", "filegroup_id", "visibility", "review_turn"},
	"local_db_auditlog":         {"id", "type", "user", "workspace", "request", "path", "extra", "created_at", "hidden"},
	"users_user":                {"user_id", "api_data", "last_refresh"},
}

// sourceTables lists sourceColumns' tables in a fixed order.
var sourceTables = []string{"local_db_requestmetadata", "local_db_filegroupmetadata",
	"local_db_requestfilemetadata", "local_db_filereview", "local_db_filegroupcomment",
	"local_db_auditlog", "users_user"}

// Source is an opened reference database (a private copy of it).
type Source struct {
	db  *sql.DB
	dir string // the private copy's folder, removed by Close
}

// OpenSource copies the reference's database file (with its write-ahead
// log, if any: the reference runs in WAL mode) into a private temporary
// folder and opens the copy, so the reference's own files are never
// written, not even by SQLite's shared-memory index. It checks that every
// table and column the import reads is there, and indexes the copy
// (sourceIndexes) so that a batch of requests is read without scanning
// whole tables.
func OpenSource(ctx context.Context, path string) (*Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("the reference database: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the reference database %s is not a regular file", path)
	}
	dir, err := os.MkdirTemp("", "airlock-import-")
	if err != nil {
		return nil, fmt.Errorf("a folder for a copy of the reference database: %w", err)
	}
	s := &Source{dir: dir}
	for _, suffix := range []string{"", "-wal"} {
		err := copyFile(path+suffix, filepath.Join(dir, "db.sqlite3"+suffix))
		if suffix != "" && errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("copy the reference database: %w", err)
		}
	}
	s.db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "db.sqlite3")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open the reference database: %w", err)
	}
	s.db.SetMaxOpenConns(1)
	if err := s.checkSchema(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.index(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Close closes the database and removes the private copy.
func (s *Source) Close() error {
	var err error
	if s.db != nil {
		err = s.db.Close()
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

// checkSchema names every table or column the import needs that the
// database lacks.
func (s *Source) checkSchema(ctx context.Context) error {
	var missing []string
	for _, table := range sourceTables {
		have := map[string]bool{}
		rows, err := s.db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			return fmt.Errorf("read the reference database's schema: %w", err)
		}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return fmt.Errorf("read the reference database's schema: %w", err)
			}
			have[name] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read the reference database's schema: %w", err)
		}
		if len(have) == 0 {
			missing = append(missing, "table "+table)
			continue
		}
		for _, c := range sourceColumns[table] {
			if !have[c] {
				missing = append(missing, table+"."+c)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("this is not an OpenSAFELY Airlock database at migration local_db 0029 or later: it lacks %s",
			strings.Join(missing, ", "))
	}
	return nil
}

// selectSQL selects table's columns by name (qualified by alias, when
// given, with the join that reaches its request) where the condition
// holds, in order.
func selectSQL(table, alias, where, orderBy string) string {
	cols := make([]string, len(sourceColumns[table]))
	prefix := ""
	if alias != "" {
		prefix = alias + "."
	}
	for i, c := range sourceColumns[table] {
		cols[i] = prefix + `"` + c + `"`
	}
	from := table
	if alias != "" {
		from += " " + alias + joins[alias]
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " WHERE " + where + " ORDER BY " + orderBy
}

// each runs a query of table and calls fn on each row.
func (s *Source) each(ctx context.Context, table, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// sourceIndexes let the import read the rows of a run of requests (and
// the audit log's times of them) without scanning whole tables. They are
// made on the private copy only.
var sourceIndexes = []string{
	`CREATE INDEX IF NOT EXISTS airlock_import_groups ON local_db_filegroupmetadata ("request_id", "id")`,
	`CREATE INDEX IF NOT EXISTS airlock_import_files ON local_db_requestfilemetadata ("request_id", "id")`,
	`CREATE INDEX IF NOT EXISTS airlock_import_reviews ON local_db_filereview ("file_id")`,
	`CREATE INDEX IF NOT EXISTS airlock_import_comments ON local_db_filegroupcomment ("filegroup_id")`,
	`CREATE INDEX IF NOT EXISTS airlock_import_audit ON local_db_auditlog ("request", "type")`,
}

func (s *Source) index(ctx context.Context) error {
	for _, q := range sourceIndexes {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index the copy of the reference database: %w", err)
		}
	}
	return nil
}

// readTimes reads what the audit log says of the requests with ids from
// lo to hi: from REQUEST_REVIEW, REQUEST_FILE_ADD and REQUEST_FILE_UPDATE
// rows, in log order (the last one wins).
func (s *Source) readTimes(ctx context.Context, lo, hi string) (times, error) {
	out := times{reviews: map[reviewKey]time.Time{}, added: map[fileKey]time.Time{}}
	err := s.each(ctx, "local_db_auditlog", `SELECT "id", "request", "type", "user", "path", "extra", "created_at"
		FROM local_db_auditlog WHERE "request" BETWEEN ? AND ? AND "type" IN (?, ?, ?) ORDER BY "id"`,
		[]any{lo, hi, string(domain.EventRequestReview), string(domain.EventRequestFileAdd), string(domain.EventRequestFileUpdate)},
		func(rows *sql.Rows) error {
			var (
				id                 int64
				request, typ, user string
				path, extra        sql.NullString
				at                 time.Time
			)
			if err := rows.Scan(&id, &request, &typ, &user, &path, &extra, mustTime{&at}); err != nil {
				return err
			}
			switch domain.EventType(typ) {
			case domain.EventRequestReview:
				x, err := jsonStrings(extra.String)
				if err != nil {
					return rowError("local_db_auditlog", id, "extra: %v", err)
				}
				if turn, err := strconv.Atoi(x["review_turn"]); err == nil {
					out.reviews[reviewKey{request, user, turn}] = at
				}
			default:
				out.added[fileKey{request, path.String}] = at
			}
			return nil
		})
	return out, err
}

// Count returns the number of rows of a table of the reference.
func (s *Source) Count(ctx context.Context, table string) (int64, error) {
	if _, ok := sourceColumns[table]; !ok {
		return 0, fmt.Errorf("count: unknown table %s", table)
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// refTime scans the reference's datetime columns: naive UTC text
// ("2006-01-02 15:04:05.999999", the fraction absent at a whole second),
// which the driver may already have made a time.
type refTime struct{ t **time.Time }

// timeLayouts are the forms of the reference's times: Django's naive UTC
// text, and the ISO-8601 of its JSON fields.
var timeLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00", time.RFC3339Nano}

func parseRefTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time in the reference's form (YYYY-MM-DD HH:MM:SS.ffffff)", s)
}

func (c refTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = nil
		return nil
	case time.Time:
		t := v.UTC()
		*c.t = &t
		return nil
	case string:
		t, err := parseRefTime(v)
		*c.t = &t
		return err
	case []byte:
		t, err := parseRefTime(string(v))
		*c.t = &t
		return err
	}
	return fmt.Errorf("a time of type %T", src)
}

// mustTime is a refTime that may not be NULL.
type mustTime struct{ t *time.Time }

func (c mustTime) Scan(src any) error {
	var p *time.Time
	if err := (refTime{&p}).Scan(src); err != nil {
		return err
	}
	if p == nil {
		return errors.New("a time that must be set is NULL")
	}
	*c.t = *p
	return nil
}

// refBool scans Django's bool column (0/1, or true/false text).
type refBool struct{ b *bool }

func (c refBool) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*c.b = v != 0
	case bool:
		*c.b = v
	case string:
		b, err := strconv.ParseBool(v)
		*c.b = b
		return err
	case []byte:
		b, err := strconv.ParseBool(string(v))
		*c.b = b
		return err
	default:
		return fmt.Errorf("a bool of type %T", src)
	}
	return nil
}

// jsonStrings decodes a JSON object into strings: the reference's audit
// extra holds only strings, but a value of another kind keeps its JSON
// text rather than failing the import. NULL or empty is an empty map.
func jsonStrings(raw string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(raw) == "" || raw == "null" {
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	for k, v := range m {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			out[k] = s
			continue
		}
		if string(v) == "null" {
			out[k] = ""
			continue
		}
		out[k] = string(v)
	}
	return out, nil
}

// splitList splits the reference's comma-separated lists (organisations,
// turn_reviewers) in their order, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
