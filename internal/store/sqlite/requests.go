package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// activeStatusesSQL is domain.ActiveStatuses() as an SQL list. It must be
// written exactly as in the partial index requests_one_active, so that
// queries using it can use that index.
const activeStatusesSQL = `('PENDING', 'SUBMITTED', 'PARTIALLY_REVIEWED', 'REVIEWED', 'RETURNED')`

const requestColumns = `r.id, r.workspace, r.project, r.organisations, r.status, r.author,
	r.created_at, r.last_submitted_at, r.review_turn, r.version`

func scanRequest(sc interface{ Scan(...any) error }) (domain.Request, error) {
	var (
		r             domain.Request
		orgs, created string
		lastSubmitted sql.NullString
		status        string
	)
	if err := sc.Scan(&r.ID, &r.Workspace, &r.Project, &orgs, &status, &r.Author,
		&created, &lastSubmitted, &r.ReviewTurn, &r.Version); err != nil {
		return r, err
	}
	r.Status = domain.Status(status)
	if orgs != "" {
		r.Organisations = strings.Split(orgs, ",")
	}
	var err error
	if r.CreatedAt, err = parseTime(created); err != nil {
		return r, err
	}
	if r.LastSubmittedAt, err = parseTimePtr(lastSubmitted); err != nil {
		return r, err
	}
	r.SubmittedReviews = map[string]time.Time{}
	return r, nil
}

const getRequestSQL = `SELECT ` + requestColumns + ` FROM requests r WHERE r.id = ?`

const requestStampSQL = `
		SELECT version, COALESCE((SELECT MAX(id) FROM audit_log WHERE request = requests.id), 0)
		FROM requests WHERE id = ?`

// RequestStamp returns the request's version and newest audit event id.
func (s *Store) RequestStamp(ctx context.Context, id string) (store.Stamp, error) {
	var st store.Stamp
	err := s.st.requestStamp.QueryRowContext(ctx, id).Scan(&st.Version, &st.LastEvent)
	if errors.Is(err, sql.ErrNoRows) {
		return st, store.ErrNotFound
	}
	if err != nil {
		return st, fmt.Errorf("sqlite: stamp of request %s: %w", id, err)
	}
	return st, nil
}

// GetRequest loads a request with everything on it, from one snapshot.
func (s *Store) GetRequest(ctx context.Context, id string) (*domain.Request, error) {
	var r domain.Request
	err := s.readTx(ctx, func(q *sql.Tx) error {
		stmt := func(st *sql.Stmt) *sql.Stmt { return q.StmtContext(ctx, st) }
		var err error
		r, err = scanRequest(stmt(s.st.getRequest).QueryRowContext(ctx, id))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		rows, err := stmt(s.st.requestSubmittedReviews).QueryContext(ctx, id)
		if err != nil {
			return fmt.Errorf("submitted reviews: %w", err)
		}
		if err := scanSubmittedReviews(rows, []*domain.Request{&r}); err != nil {
			return err
		}
		if r.Groups, err = loadGroups(ctx, stmt(s.st.requestGroups), id); err != nil {
			return err
		}
		if r.Files, err = loadFiles(ctx, stmt(s.st.requestFiles), stmt(s.st.requestFileReviews), id); err != nil {
			return err
		}
		r.Comments, err = loadComments(ctx, stmt(s.st.requestComments), id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: get request %s: %w", id, err)
	}
	return &r, nil
}

// The submitted reviews of requests r (selected by a WHERE clause between
// the two parts) in their current and previous turns.
const (
	submittedReviewsSelect = `
		SELECT sr.request_id, sr.reviewer, sr.review_turn, sr.submitted_at, r.review_turn
		FROM submitted_reviews sr JOIN requests r ON r.id = sr.request_id`
	submittedReviewsTurns = ` AND sr.review_turn IN (r.review_turn, r.review_turn - 1)`

	requestSubmittedReviewsSQL = submittedReviewsSelect + ` WHERE r.id = ?` + submittedReviewsTurns
)

// scanSubmittedReviews fills SubmittedReviews and TurnReviewers of reqs
// from rows of a submittedReviewsSelect query, and closes rows.
func scanSubmittedReviews(rows *sql.Rows, reqs []*domain.Request) error {
	defer rows.Close()
	byID := make(map[string]*domain.Request, len(reqs))
	for _, r := range reqs {
		byID[r.ID] = r
	}
	for rows.Next() {
		var (
			reqID, reviewer, at string
			turn, current       int
		)
		if err := rows.Scan(&reqID, &reviewer, &turn, &at, &current); err != nil {
			return fmt.Errorf("submitted reviews: %w", err)
		}
		r, ok := byID[reqID]
		if !ok {
			continue
		}
		if turn == current {
			t, err := parseTime(at)
			if err != nil {
				return fmt.Errorf("submitted reviews: %w", err)
			}
			r.SubmittedReviews[reviewer] = t
		} else {
			r.TurnReviewers = append(r.TurnReviewers, reviewer)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("submitted reviews: %w", err)
	}
	for _, r := range reqs {
		slices.Sort(r.TurnReviewers)
	}
	return nil
}

const requestGroupsSQL = `
		SELECT name, context, controls, created_at, updated_at
		FROM file_groups WHERE request_id = ? ORDER BY name`

// loadGroups runs requestGroupsSQL.
func loadGroups(ctx context.Context, stmt *sql.Stmt, id string) ([]domain.Group, error) {
	rows, err := stmt.QueryContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	defer rows.Close()
	var out []domain.Group
	for rows.Next() {
		var (
			g                domain.Group
			created, updated string
		)
		if err := rows.Scan(&g.Name, &g.Context, &g.Controls, &created, &updated); err != nil {
			return nil, fmt.Errorf("groups: %w", err)
		}
		if g.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("groups: %w", err)
		}
		if g.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, fmt.Errorf("groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	return out, nil
}

const (
	requestFilesSQL = `
		SELECT f.relpath, g.name, f.file_id, f.filetype, f.timestamp, f.size, f.job_id,
			f.commit_sha, f.repo, f.row_count, f.col_count, f.released_at, f.released_by,
			f.uploaded, f.uploaded_at, f.upload_attempts, f.upload_attempted_at, f.upload_next_at, f.upload_error,
			f.checks, f.checks_override
		FROM request_files f JOIN file_groups g ON g.id = f.group_id
		WHERE f.request_id = ? ORDER BY f.relpath`
	requestFileReviewsSQL = `
		SELECT f.relpath, v.reviewer, v.status, v.created_at, v.updated_at, v.review_turn
		FROM file_reviews v JOIN request_files f ON f.id = v.file_id
		WHERE f.request_id = ?`
)

// scanFile reads one row of requestFilesSQL's columns.
func scanFile(row interface{ Scan(...any) error }) (domain.RequestFile, error) {
	var (
		f                             domain.RequestFile
		fileType                      string
		rowCount, colCount            sql.NullInt64
		releasedAt, releasedBy        sql.NullString
		uploadedAt, uploadAttemptedAt sql.NullString
		uploadNextAt, uploadError     sql.NullString
		checksJSON                    string
		override                      sql.NullString
	)
	if err := row.Scan(&f.Relpath, &f.Group, &f.FileID, &fileType, &f.Timestamp, &f.Size, &f.JobID,
		&f.Commit, &f.Repo, &rowCount, &colCount, &releasedAt, &releasedBy,
		&f.Uploaded, &uploadedAt, &f.UploadAttempts, &uploadAttemptedAt, &uploadNextAt, &uploadError,
		&checksJSON, &override); err != nil {
		return f, err
	}
	if err := store.DecodeChecks(checksJSON, override.String, &f); err != nil {
		return f, err
	}
	var err error
	f.FileType = domain.FileType(fileType)
	f.RowCount, f.ColCount = intPtr(rowCount), intPtr(colCount)
	f.ReleasedBy = releasedBy.String
	if f.ReleasedAt, err = parseTimePtr(releasedAt); err != nil {
		return f, err
	}
	if f.UploadedAt, err = parseTimePtr(uploadedAt); err != nil {
		return f, err
	}
	if f.UploadAttemptedAt, err = parseTimePtr(uploadAttemptedAt); err != nil {
		return f, err
	}
	if f.UploadNextAt, err = parseTimePtr(uploadNextAt); err != nil {
		return f, err
	}
	f.UploadError = uploadError.String
	f.Reviews = map[string]domain.Review{}
	return f, nil
}

const requestFileSQL = `
		SELECT f.relpath, g.name, f.file_id, f.filetype, f.timestamp, f.size, f.job_id,
			f.commit_sha, f.repo, f.row_count, f.col_count, f.released_at, f.released_by,
			f.uploaded, f.uploaded_at, f.upload_attempts, f.upload_attempted_at, f.upload_next_at, f.upload_error,
			f.checks, f.checks_override
		FROM request_files f JOIN file_groups g ON g.id = f.group_id
		WHERE f.request_id = ? AND f.relpath = ?`

// GetRequestFile loads a request's header (no groups, files or comments)
// and one of its files, without its votes.
func (s *Store) GetRequestFile(ctx context.Context, id, relpath string) (*domain.Request, domain.RequestFile, error) {
	var r domain.Request
	var f domain.RequestFile
	err := s.readTx(ctx, func(q *sql.Tx) error {
		var err error
		r, err = scanRequest(q.StmtContext(ctx, s.st.getRequest).QueryRowContext(ctx, id))
		if err != nil {
			return err
		}
		f, err = scanFile(q.StmtContext(ctx, s.st.requestFile).QueryRowContext(ctx, id, relpath))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, f, store.ErrNotFound
	}
	if err != nil {
		return nil, f, fmt.Errorf("sqlite: get file %s of request %s: %w", relpath, id, err)
	}
	return &r, f, nil
}

// loadFiles runs requestFilesSQL (files) and requestFileReviewsSQL
// (reviews).
func loadFiles(ctx context.Context, files, reviews *sql.Stmt, id string) ([]domain.RequestFile, error) {
	rows, err := files.QueryContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	defer rows.Close()
	var out []domain.RequestFile
	index := map[string]int{}
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		index[f.Relpath] = len(out)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	rows.Close()

	rows, err = reviews.QueryContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			relpath, vote, created, updated string
			rv                              domain.Review
		)
		if err := rows.Scan(&relpath, &rv.Reviewer, &vote, &created, &updated, &rv.ReviewTurn); err != nil {
			return nil, fmt.Errorf("reviews: %w", err)
		}
		rv.Vote = domain.Vote(vote)
		if rv.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("reviews: %w", err)
		}
		if rv.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, fmt.Errorf("reviews: %w", err)
		}
		if i, ok := index[relpath]; ok {
			out[i].Reviews[rv.Reviewer] = rv
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	return out, nil
}

const requestCommentsSQL = `
		SELECT c.id, g.name, c.text, c.author, c.visibility, c.review_turn, c.created_at
		FROM comments c JOIN file_groups g ON g.id = c.group_id
		WHERE c.request_id = ? ORDER BY c.created_at DESC, c.id DESC`

// loadComments runs requestCommentsSQL.
func loadComments(ctx context.Context, stmt *sql.Stmt, id string) ([]domain.Comment, error) {
	rows, err := stmt.QueryContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("comments: %w", err)
	}
	defer rows.Close()
	var out []domain.Comment
	for rows.Next() {
		var (
			c                   domain.Comment
			visibility, created string
		)
		if err := rows.Scan(&c.ID, &c.Group, &c.Text, &c.Author, &visibility, &c.ReviewTurn, &created); err != nil {
			return nil, fmt.Errorf("comments: %w", err)
		}
		c.Visibility = domain.Visibility(visibility)
		if c.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("comments: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("comments: %w", err)
	}
	return out, nil
}

const activeRequestIDSQL = `
		SELECT id FROM requests
		WHERE workspace = ? AND author = ? AND status IN ` + activeStatusesSQL

// ActiveRequestID returns the id of the author's active request for the
// workspace.
func (s *Store) ActiveRequestID(ctx context.Context, workspace, author string) (string, error) {
	var id string
	err := s.st.activeRequestID.QueryRowContext(ctx, workspace, author).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: active request of %s in %s: %w", author, workspace, err)
	}
	return id, nil
}

// ListRequests returns the headers of the requests f selects, newest first.
func (s *Store) ListRequests(ctx context.Context, f store.RequestFilter) ([]domain.Request, error) {
	var (
		conds []string
		args  []any
	)
	if f.Workspace != "" {
		conds = append(conds, "r.workspace = ?")
		args = append(args, f.Workspace)
	}
	if f.Author != "" {
		conds = append(conds, "r.author = ?")
		args = append(args, f.Author)
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "r.status IN ("+placeholders(len(f.Statuses))+")")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	where := "WHERE 1 = 1"
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}

	var out []domain.Request
	err := s.readTx(ctx, func(q *sql.Tx) error {
		rows, err := q.QueryContext(ctx, `SELECT `+requestColumns+` FROM requests r `+where+`
			ORDER BY r.created_at DESC, r.id DESC`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRequest(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		ptrs := make([]*domain.Request, len(out))
		for i := range out {
			ptrs[i] = &out[i]
		}
		reviews, err := q.QueryContext(ctx, submittedReviewsSelect+" "+where+submittedReviewsTurns, args...)
		if err != nil {
			return fmt.Errorf("submitted reviews: %w", err)
		}
		return scanSubmittedReviews(reviews, ptrs)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list requests: %w", err)
	}
	return out, nil
}

// releasedFileIDsSQL has no DISTINCT: the map ReleasedFileIDs builds drops
// repeats, and DISTINCT would sort every row through a temporary B-tree.
const releasedFileIDsSQL = `
		SELECT f.file_id
		FROM request_files f JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = ? AND f.released_at IS NOT NULL`

// fileIDsSQL lists the content hashes of every file of the workspace,
// and of every version they had.
const fileIDsSQL = `
		SELECT f.file_id
		FROM request_files f JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = ?
		UNION
		SELECT v.file_id
		FROM file_versions v JOIN requests r ON r.id = v.request_id
		WHERE r.workspace = ?`

// ReleasedFileIDs returns the content hashes of the workspace's released
// files.
func (s *Store) ReleasedFileIDs(ctx context.Context, workspace string) (map[string]bool, error) {
	out, err := hashSet(ctx, s.st.releasedFileIDs, workspace)
	if err != nil {
		return nil, fmt.Errorf("sqlite: released files of %s: %w", workspace, err)
	}
	return out, nil
}

const releasedFilesSQL = `
		SELECT f.relpath, f.file_id, f.released_at
		FROM request_files f JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = ? AND f.released_at IS NOT NULL
		ORDER BY f.released_at, f.relpath`

// ReleasedFiles lists the files released from the workspace, oldest
// release first.
func (s *Store) ReleasedFiles(ctx context.Context, workspace string) ([]store.ReleasedFile, error) {
	rows, err := s.st.releasedFiles.QueryContext(ctx, workspace)
	if err != nil {
		return nil, fmt.Errorf("sqlite: released files of %s: %w", workspace, err)
	}
	defer rows.Close()
	var out []store.ReleasedFile
	for rows.Next() {
		var f store.ReleasedFile
		var at string
		if err := rows.Scan(&f.Relpath, &f.FileID, &at); err != nil {
			return nil, fmt.Errorf("sqlite: released files of %s: %w", workspace, err)
		}
		if f.ReleasedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("sqlite: released files of %s: %w", workspace, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: released files of %s: %w", workspace, err)
	}
	return out, nil
}

// FileIDs returns the content hashes of every file of the workspace's
// requests.
func (s *Store) FileIDs(ctx context.Context, workspace string) (map[string]bool, error) {
	out, err := hashSet(ctx, s.st.fileIDs, workspace, workspace)
	if err != nil {
		return nil, fmt.Errorf("sqlite: files of %s: %w", workspace, err)
	}
	return out, nil
}

// hashSet runs a query of one column into a set.
func hashSet(ctx context.Context, stmt *sql.Stmt, args ...any) (map[string]bool, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
