package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"

	"github.com/airlock-go/airlock/internal/store"
)

const anyRequestSQL = `SELECT 1 FROM requests LIMIT 1`

var _ store.Importer = (*Store)(nil)

// Import runs fn in one write transaction on a database that holds no
// request; see store.Importer.
func (s *Store) Import(ctx context.Context, fn func(store.ImportTx) error) error {
	return s.Tx(ctx, func(t store.Tx) error {
		it := importTx{t.(*tx)}
		found, err := it.exists(ctx, anyRequestSQL)
		if err != nil {
			return s.fail(err, "import: look for requests")
		}
		if found {
			return s.fail(store.ErrNotEmpty, "import")
		}
		return fn(it)
	})
}

// importTx is the store.ImportTx of an import's transaction.
type importTx struct{ *tx }

// PutUser caches a user document in the import's transaction.
func (t importTx) PutUser(ctx context.Context, u store.UserRecord) error {
	_, err := t.exec(ctx, putUserSQL, u.Username, string(u.APIData), u.LastRefresh)
	return t.fail(err, "put user %s", u.Username)
}

// countedTables are the tables TableCounts counts.
var countedTables = []string{"requests", "submitted_reviews", "file_groups", "request_files",
	"file_versions", "file_reviews", "reviewed_versions", "comments", "users", "audit_log"}

// TableCounts counts the rows of the tables of requests, users and the
// audit log, in one snapshot.
func (s *Store) TableCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.read(ctx, func(c q) error {
		for _, t := range countedTables {
			var n int64
			if err := c.queryRow(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
				return fmt.Errorf("count %s: %w", t, err)
			}
			out[t] = n
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "table counts")
	}
	return out, nil
}

// eventsPerInsert is how many events one INSERT of AppendEvents writes:
// 11 arguments each, well under both databases' limit on arguments.
const eventsPerInsert = 200

// AppendEvents chains events after the log's head (held, as AppendEvent
// holds it, until the transaction ends), writes them in multi-row
// inserts and moves the head once.
func (t importTx) AppendEvents(ctx context.Context, events []domain.Event) ([]domain.Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	var lastID, firstID int64
	var lastHash string
	if err := t.queryRow(ctx, t.s.d.LockAuditHead).Scan(&lastID, &lastHash); err != nil {
		return nil, t.fail(err, "append events: read audit head")
	}
	firstID = lastID
	out := make([]domain.Event, 0, len(events))
	for start := 0; start < len(events); start += eventsPerInsert {
		batch := events[start:min(start+eventsPerInsert, len(events))]
		args := make([]any, 0, len(batch)*11)
		rows := make([]string, 0, len(batch))
		for _, e := range batch {
			e, extra, err := store.ChainEvent(e, lastID, lastHash)
			if err != nil {
				return nil, t.fail(err, "append event")
			}
			args = append(args, e.ID, string(e.Type), e.User, e.Workspace, nullString(e.Request), nullString(e.Path),
				extra, e.CreatedAt, e.Hidden, e.PrevHash, e.Hash)
			rows = append(rows, "("+placeholders(11)+")")
			lastID, lastHash = e.ID, e.Hash
			out = append(out, e)
		}
		if _, err := t.exec(ctx, insertEventsSQL+strings.Join(rows, ", "), args...); err != nil {
			return nil, t.fail(err, "append events %d to %d", out[start].ID, lastID)
		}
	}
	if err := t.execOne(ctx, moveAuditHeadSQL, lastID, lastHash, firstID); err != nil {
		return nil, t.fail(err, "append events: move audit head")
	}
	return out, nil
}

const insertEventsSQL = `INSERT INTO audit_log (id, type, "user", workspace, request, path, extra, created_at,
	hidden, prev_hash, hash) VALUES `

// maxInsertArgs bounds the arguments of one multi-row INSERT of
// WriteRequests and PutUsers: under SQLite's limit (32,766) and
// PostgreSQL's (65,535).
const maxInsertArgs = 30000

// insertRows inserts rows (each of cols values) with head ("INSERT INTO
// t (a, b) VALUES ") and tail (" RETURNING ..." or ""), as many rows to a
// statement as maxInsertArgs allows; scan, when not nil, reads what each
// statement returns.
func (t importTx) insertRows(ctx context.Context, head string, cols int, rows [][]any, tail string, scan func(*sql.Rows) error) error {
	per := maxInsertArgs / cols
	row := "(" + placeholders(cols) + ")"
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*cols)
		var b strings.Builder
		b.WriteString(head)
		for i, r := range chunk {
			if len(r) != cols {
				return fmt.Errorf("a row of %d values, not %d", len(r), cols)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
			args = append(args, r...)
		}
		b.WriteString(tail)
		if scan == nil {
			if _, err := t.exec(ctx, b.String(), args...); err != nil {
				return err
			}
			continue
		}
		if err := t.each(ctx, scan, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// WriteRequests writes new requests with everything on them, a table at a
// time; see store.ImportTx.
func (t importTx) WriteRequests(ctx context.Context, rs []store.ImportRequest) error {
	if len(rs) == 0 {
		return nil
	}
	what := fmt.Sprintf("import requests %s to %s", rs[0].Request.ID, rs[len(rs)-1].Request.ID)
	now := time.Now()
	var requests, submitted, groups [][]any
	for _, ir := range rs {
		r := ir.Request
		if len(ir.Added) != len(r.Files) {
			return fmt.Errorf("%s: request %s has %d files and %d times added", what, r.ID, len(r.Files), len(ir.Added))
		}
		requests = append(requests, []any{r.ID, r.Workspace, r.Project, strings.Join(r.Organisations, ","), string(r.Status),
			r.Author, r.CreatedAt, r.LastSubmittedAt, r.ReviewTurn, 1, now})
		for _, sr := range ir.Submitted {
			submitted = append(submitted, []any{r.ID, sr.Reviewer, sr.Turn, sr.At})
		}
		for _, g := range r.Groups {
			groups = append(groups, []any{r.ID, g.Name, g.Context, g.Controls, g.CreatedAt, g.UpdatedAt})
		}
	}
	if err := t.insertRows(ctx, `INSERT INTO requests (id, workspace, project, organisations, status, author,
		created_at, last_submitted_at, review_turn, version, updated_at) VALUES `, 11, requests, "", nil); err != nil {
		return t.fail(err, "%s", what)
	}
	if err := t.insertRows(ctx, `INSERT INTO submitted_reviews (request_id, reviewer, review_turn, submitted_at) VALUES `,
		4, submitted, "", nil); err != nil {
		return t.fail(err, "%s: submitted reviews", what)
	}
	type key struct{ request, name string }
	groupIDs := map[key]int64{}
	err := t.insertRows(ctx, `INSERT INTO file_groups (request_id, name, context, controls, created_at, updated_at) VALUES `,
		6, groups, " RETURNING id, request_id, name", func(rows *sql.Rows) error {
			var (
				id int64
				k  key
			)
			if err := rows.Scan(&id, &k.request, &k.name); err != nil {
				return err
			}
			groupIDs[k] = id
			return nil
		})
	if err != nil {
		return t.fail(err, "%s: groups", what)
	}

	var files, versions, comments [][]any
	for _, ir := range rs {
		r := ir.Request
		for i, f := range r.Files {
			gid, ok := groupIDs[key{r.ID, f.Group}]
			if !ok {
				return t.fail(store.ErrNotFound, "%s: file %s/%s: no group %q", what, r.ID, f.Relpath, f.Group)
			}
			checksJSON, override, err := store.EncodeChecks(f)
			if err != nil {
				return t.fail(err, "%s: file %s/%s", what, r.ID, f.Relpath)
			}
			files = append(files, []any{r.ID, gid, f.Relpath, f.FileID, string(f.FileType), f.Timestamp,
				f.Size, f.JobID, f.Commit, f.Repo, nullInt(f.RowCount), nullInt(f.ColCount), f.ReleasedAt, nullString(f.ReleasedBy),
				f.Uploaded, f.UploadedAt, f.UploadAttempts, f.UploadAttemptedAt, f.UploadNextAt, nullString(f.UploadError),
				checksJSON, nullString(override)})
			versions = append(versions, []any{r.ID, f.Relpath, 1, f.FileID, f.Size, f.Timestamp, f.Commit, f.JobID,
				r.Author, ir.Added[i].UTC().Truncate(time.Microsecond)})
		}
		for _, c := range r.Comments {
			gid, ok := groupIDs[key{r.ID, c.Group}]
			if !ok {
				return t.fail(store.ErrNotFound, "%s: comment on %s/%s: no such group", what, r.ID, c.Group)
			}
			comments = append(comments, []any{gid, r.ID, c.Text, c.Author, string(c.Visibility), c.ReviewTurn, c.CreatedAt})
		}
	}
	fileIDs := map[key]int64{}
	err = t.insertRows(ctx, `INSERT INTO request_files (request_id, group_id, relpath, file_id, filetype, timestamp,
		size, job_id, commit_sha, repo, row_count, col_count, released_at, released_by,
		uploaded, uploaded_at, upload_attempts, upload_attempted_at, upload_next_at, upload_error,
		checks, checks_override) VALUES `, 22, files, " RETURNING id, request_id, relpath", func(rows *sql.Rows) error {
		var (
			id int64
			k  key
		)
		if err := rows.Scan(&id, &k.request, &k.name); err != nil {
			return err
		}
		fileIDs[k] = id
		return nil
	})
	if err != nil {
		return t.fail(err, "%s: files", what)
	}
	if err := t.insertRows(ctx, `INSERT INTO file_versions (request_id, relpath, `+versionColumns+`) VALUES `,
		10, versions, "", nil); err != nil {
		return t.fail(err, "%s: file versions", what)
	}

	var reviews, reviewed [][]any
	for _, ir := range rs {
		r := ir.Request
		for _, f := range r.Files {
			fid := fileIDs[key{r.ID, f.Relpath}]
			for _, name := range slices.Sorted(maps.Keys(f.Reviews)) {
				rv := f.Reviews[name]
				reviews = append(reviews, []any{fid, rv.Reviewer, string(rv.Vote), rv.CreatedAt, rv.UpdatedAt, rv.ReviewTurn})
				// The vote records the version it was cast on.
				reviewed = append(reviewed, []any{r.ID, f.Relpath, rv.Reviewer, f.FileID, rv.UpdatedAt})
			}
		}
	}
	if err := t.insertRows(ctx, `INSERT INTO file_reviews (file_id, reviewer, status, created_at, updated_at, review_turn) VALUES `,
		6, reviews, "", nil); err != nil {
		return t.fail(err, "%s: votes", what)
	}
	if err := t.insertRows(ctx, `INSERT INTO reviewed_versions (request_id, relpath, reviewer, file_id, voted_at) VALUES `,
		5, reviewed, "", nil); err != nil {
		return t.fail(err, "%s: the versions voted on", what)
	}
	if err := t.insertRows(ctx, `INSERT INTO comments (group_id, request_id, text, author, visibility, review_turn, created_at) VALUES `,
		7, comments, "", nil); err != nil {
		return t.fail(err, "%s: comments", what)
	}
	return nil
}

// PutUsers caches user documents, many to a statement; see
// store.ImportTx.
func (t importTx) PutUsers(ctx context.Context, us []store.UserRecord) error {
	rows := make([][]any, len(us))
	for i, u := range us {
		rows[i] = []any{u.Username, string(u.APIData), u.LastRefresh}
	}
	err := t.insertRows(ctx, `INSERT INTO users (user_id, api_data, last_refresh) VALUES `, 3, rows,
		` ON CONFLICT (user_id) DO UPDATE SET api_data = excluded.api_data, last_refresh = excluded.last_refresh`, nil)
	return t.fail(err, "put %d users", len(us))
}
