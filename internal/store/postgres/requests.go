package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// activeStatusesSQL is domain.ActiveStatuses() as an SQL list. It must be
// written exactly as in the partial index requests_one_active, so that
// queries using it can use that index.
const activeStatusesSQL = `('PENDING', 'SUBMITTED', 'PARTIALLY_REVIEWED', 'REVIEWED', 'RETURNED')`

const requestColumns = `r.id, r.workspace, r.project, r.organisations, r.status, r.author,
	r.created_at, r.last_submitted_at, r.review_turn, r.version`

func scanRequest(row pgx.Row) (domain.Request, error) {
	var (
		r      domain.Request
		orgs   string
		status string
	)
	if err := row.Scan(&r.ID, &r.Workspace, &r.Project, &orgs, &status, &r.Author,
		&r.CreatedAt, &r.LastSubmittedAt, &r.ReviewTurn, &r.Version); err != nil {
		return r, err
	}
	r.Status = domain.Status(status)
	if orgs != "" {
		r.Organisations = strings.Split(orgs, ",")
	}
	r.SubmittedReviews = map[string]time.Time{}
	return r, nil
}

const (
	getRequestSQL = `SELECT ` + requestColumns + ` FROM requests r WHERE r.id = $1`

	// The submitted reviews of requests r (selected by a WHERE clause
	// between the two parts) in their current and previous turns.
	submittedReviewsSelect = `
		SELECT sr.request_id, sr.reviewer, sr.review_turn, sr.submitted_at, r.review_turn
		FROM submitted_reviews sr JOIN requests r ON r.id = sr.request_id`
	submittedReviewsTurns = ` AND sr.review_turn IN (r.review_turn, r.review_turn - 1)`

	requestSubmittedReviewsSQL = submittedReviewsSelect + ` WHERE r.id = $1` + submittedReviewsTurns

	requestGroupsSQL = `
		SELECT name, context, controls, created_at, updated_at
		FROM file_groups WHERE request_id = $1 ORDER BY name COLLATE "C"`

	fileColumns = `f.relpath, g.name, f.file_id, f.filetype, f.timestamp, f.size, f.job_id,
			f.commit_sha, f.repo, f.row_count, f.col_count, f.released_at, f.released_by,
			f.uploaded, f.uploaded_at, f.upload_attempts, f.upload_attempted_at, f.upload_next_at, f.upload_error,
			f.checks, f.checks_override`
	requestFilesSQL = `
		SELECT ` + fileColumns + `
		FROM request_files f JOIN file_groups g ON g.id = f.group_id
		WHERE f.request_id = $1 ORDER BY f.relpath COLLATE "C"`
	requestFileReviewsSQL = `
		SELECT f.relpath, v.reviewer, v.status, v.created_at, v.updated_at, v.review_turn
		FROM file_reviews v JOIN request_files f ON f.id = v.file_id
		WHERE f.request_id = $1`
	requestCommentsSQL = `
		SELECT c.id, g.name, c.text, c.author, c.visibility, c.review_turn, c.created_at
		FROM comments c JOIN file_groups g ON g.id = c.group_id
		WHERE c.request_id = $1 ORDER BY c.created_at DESC, c.id DESC`
)

const requestStampSQL = `
		SELECT version, COALESCE((SELECT MAX(id) FROM audit_log WHERE request = requests.id), 0)
		FROM requests WHERE id = $1`

// RequestStamp returns the request's version and newest audit event id.
func (s *Store) RequestStamp(ctx context.Context, id string) (store.Stamp, error) {
	var st store.Stamp
	err := s.pool.QueryRow(ctx, requestStampSQL, id).Scan(&st.Version, &st.LastEvent)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Stamp{}, store.ErrNotFound
	}
	if err != nil {
		return store.Stamp{}, fmt.Errorf("postgres: stamp of request %s: %w", id, classify(err))
	}
	return st, nil
}

// GetRequest loads a request with everything on it, from one snapshot, in
// one round trip.
func (s *Store) GetRequest(ctx context.Context, id string) (*domain.Request, error) {
	b := &pgx.Batch{}
	b.Queue(getRequestSQL, id)
	b.Queue(requestSubmittedReviewsSQL, id)
	b.Queue(requestGroupsSQL, id)
	b.Queue(requestFilesSQL, id)
	b.Queue(requestFileReviewsSQL, id)
	b.Queue(requestCommentsSQL, id)
	var r domain.Request
	found := true
	err := s.snapshot(ctx, b, func(br pgx.BatchResults) error {
		var err error
		r, err = scanRequest(br.QueryRow())
		if errors.Is(err, pgx.ErrNoRows) {
			found = false // the other queries answer nothing; read them all the same
		} else if err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return fmt.Errorf("submitted reviews: %w", err)
		}
		if err := scanSubmittedReviews(rows, []*domain.Request{&r}); err != nil {
			return err
		}
		if r.Groups, err = scanGroups(br); err != nil {
			return err
		}
		if r.Files, err = scanFiles(br); err != nil {
			return err
		}
		if err := scanFileReviews(br, r.Files); err != nil {
			return err
		}
		r.Comments, err = scanComments(br)
		return err
	})
	if err == nil && !found {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get request %s: %w", id, classify(err))
	}
	return &r, nil
}

// scanSubmittedReviews fills SubmittedReviews and TurnReviewers of reqs
// from rows of a submittedReviewsSelect query, and closes rows.
func scanSubmittedReviews(rows pgx.Rows, reqs []*domain.Request) error {
	defer rows.Close()
	byID := make(map[string]*domain.Request, len(reqs))
	for _, r := range reqs {
		byID[r.ID] = r
	}
	for rows.Next() {
		var (
			reqID, reviewer string
			turn, current   int
			at              time.Time
		)
		if err := rows.Scan(&reqID, &reviewer, &turn, &at, &current); err != nil {
			return fmt.Errorf("submitted reviews: %w", err)
		}
		r, ok := byID[reqID]
		if !ok {
			continue
		}
		if turn == current {
			r.SubmittedReviews[reviewer] = at
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

func scanGroups(br pgx.BatchResults) ([]domain.Group, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	defer rows.Close()
	var out []domain.Group
	for rows.Next() {
		var g domain.Group
		if err := rows.Scan(&g.Name, &g.Context, &g.Controls, &g.CreatedAt, &g.UpdatedAt); err != nil {
			return nil, fmt.Errorf("groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	return out, nil
}

// scanFile reads one row of fileColumns.
func scanFile(row pgx.Row) (domain.RequestFile, error) {
	var (
		f          domain.RequestFile
		fileType   string
		releasedBy *string
		rowCount   *int64
		colCount   *int64
		checksJSON string
		override   *string
		uploadErr  *string
	)
	if err := row.Scan(&f.Relpath, &f.Group, &f.FileID, &fileType, &f.Timestamp, &f.Size, &f.JobID,
		&f.Commit, &f.Repo, &rowCount, &colCount, &f.ReleasedAt, &releasedBy,
		&f.Uploaded, &f.UploadedAt, &f.UploadAttempts, &f.UploadAttemptedAt, &f.UploadNextAt, &uploadErr,
		&checksJSON, &override); err != nil {
		return f, err
	}
	if err := store.DecodeChecks(checksJSON, derefString(override), &f); err != nil {
		return f, err
	}
	f.FileType = domain.FileType(fileType)
	f.RowCount, f.ColCount = intPtr(rowCount), intPtr(colCount)
	f.ReleasedBy = derefString(releasedBy)
	f.UploadError = derefString(uploadErr)
	f.Reviews = map[string]domain.Review{}
	return f, nil
}

func intPtr(p *int64) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func int64Ptr(p *int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

func scanFiles(br pgx.BatchResults) ([]domain.RequestFile, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	defer rows.Close()
	var out []domain.RequestFile
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return out, nil
}

// scanFileReviews reads the votes of the files into their Reviews.
func scanFileReviews(br pgx.BatchResults, files []domain.RequestFile) error {
	index := make(map[string]int, len(files))
	for i, f := range files {
		index[f.Relpath] = i
	}
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("reviews: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			relpath, vote string
			rv            domain.Review
		)
		if err := rows.Scan(&relpath, &rv.Reviewer, &vote, &rv.CreatedAt, &rv.UpdatedAt, &rv.ReviewTurn); err != nil {
			return fmt.Errorf("reviews: %w", err)
		}
		rv.Vote = domain.Vote(vote)
		if i, ok := index[relpath]; ok {
			files[i].Reviews[rv.Reviewer] = rv
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reviews: %w", err)
	}
	return nil
}

func scanComments(br pgx.BatchResults) ([]domain.Comment, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("comments: %w", err)
	}
	defer rows.Close()
	var out []domain.Comment
	for rows.Next() {
		var (
			c          domain.Comment
			visibility string
		)
		if err := rows.Scan(&c.ID, &c.Group, &c.Text, &c.Author, &visibility, &c.ReviewTurn, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("comments: %w", err)
		}
		c.Visibility = domain.Visibility(visibility)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("comments: %w", err)
	}
	return out, nil
}

const requestFileSQL = `
		SELECT ` + fileColumns + `
		FROM request_files f JOIN file_groups g ON g.id = f.group_id
		WHERE f.request_id = $1 AND f.relpath = $2`

// GetRequestFile loads a request's header (no groups, files or comments)
// and one of its files, without its votes.
func (s *Store) GetRequestFile(ctx context.Context, id, relpath string) (*domain.Request, domain.RequestFile, error) {
	b := &pgx.Batch{}
	b.Queue(getRequestSQL, id)
	b.Queue(requestFileSQL, id, relpath)
	var (
		r      domain.Request
		f      domain.RequestFile
		rErr   error
		fileEr error
	)
	err := s.snapshot(ctx, b, func(br pgx.BatchResults) error {
		r, rErr = scanRequest(br.QueryRow())
		f, fileEr = scanFile(br.QueryRow())
		for _, err := range []error{rErr, fileEr} {
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		return nil
	})
	if err == nil && (rErr != nil || fileEr != nil) {
		return nil, domain.RequestFile{}, store.ErrNotFound
	}
	if err != nil {
		return nil, domain.RequestFile{}, fmt.Errorf("postgres: get file %s of request %s: %w", relpath, id, classify(err))
	}
	return &r, f, nil
}

const activeRequestIDSQL = `
		SELECT id FROM requests
		WHERE workspace = $1 AND author = $2 AND status IN ` + activeStatusesSQL

// ActiveRequestID returns the id of the author's active request for the
// workspace.
func (s *Store) ActiveRequestID(ctx context.Context, workspace, author string) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, activeRequestIDSQL, workspace, author).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("postgres: active request of %s in %s: %w", author, workspace, classify(err))
	}
	return id, nil
}

// ListRequests returns the headers of the requests f selects, newest
// first, with their submitted reviews, from one snapshot.
func (s *Store) ListRequests(ctx context.Context, f store.RequestFilter) ([]domain.Request, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Workspace != "" {
		conds = append(conds, "r.workspace = "+arg(f.Workspace))
	}
	if f.Author != "" {
		conds = append(conds, "r.author = "+arg(f.Author))
	}
	if len(f.Statuses) > 0 {
		statuses := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			statuses[i] = string(st)
		}
		conds = append(conds, "r.status = ANY("+arg(statuses)+")")
	}
	where := "WHERE TRUE"
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT `+requestColumns+` FROM requests r `+where+`
		ORDER BY r.created_at DESC, r.id COLLATE "C" DESC`, args...)
	b.Queue(submittedReviewsSelect+" "+where+submittedReviewsTurns, args...)
	var out []domain.Request
	err := s.snapshot(ctx, b, func(br pgx.BatchResults) error {
		rows, err := br.Query()
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
		reviews, err := br.Query()
		if err != nil {
			return fmt.Errorf("submitted reviews: %w", err)
		}
		return scanSubmittedReviews(reviews, ptrs)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list requests: %w", classify(err))
	}
	return out, nil
}

const (
	releasedFileIDsSQL = `
		SELECT DISTINCT f.file_id
		FROM request_files f JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = $1 AND f.released_at IS NOT NULL`
	fileIDsSQL = `
		SELECT f.file_id
		FROM request_files f JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = $1
		UNION
		SELECT v.file_id
		FROM file_versions v JOIN requests r ON r.id = v.request_id
		WHERE r.workspace = $1`
)

// ReleasedFileIDs returns the content hashes of the workspace's released
// files.
func (s *Store) ReleasedFileIDs(ctx context.Context, workspace string) (map[string]bool, error) {
	out, err := s.hashSet(ctx, releasedFileIDsSQL, workspace)
	if err != nil {
		return nil, fmt.Errorf("postgres: released files of %s: %w", workspace, classify(err))
	}
	return out, nil
}

const releasedFilesSQL = `
		SELECT f.relpath, f.file_id, f.released_at
		FROM request_files f JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = $1 AND f.released_at IS NOT NULL
		ORDER BY f.released_at, f.relpath COLLATE "C"`

// ReleasedFiles lists the files released from the workspace, oldest
// release first.
func (s *Store) ReleasedFiles(ctx context.Context, workspace string) ([]store.ReleasedFile, error) {
	rows, err := s.pool.Query(ctx, releasedFilesSQL, workspace)
	if err != nil {
		return nil, fmt.Errorf("postgres: released files of %s: %w", workspace, classify(err))
	}
	defer rows.Close()
	var out []store.ReleasedFile
	for rows.Next() {
		var f store.ReleasedFile
		if err := rows.Scan(&f.Relpath, &f.FileID, &f.ReleasedAt); err != nil {
			return nil, fmt.Errorf("postgres: released files of %s: %w", workspace, classify(err))
		}
		f.ReleasedAt = f.ReleasedAt.UTC()
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: released files of %s: %w", workspace, classify(err))
	}
	return out, nil
}

// FileIDs returns the content hashes of every file of the workspace's
// requests.
func (s *Store) FileIDs(ctx context.Context, workspace string) (map[string]bool, error) {
	out, err := s.hashSet(ctx, fileIDsSQL, workspace)
	if err != nil {
		return nil, fmt.Errorf("postgres: files of %s: %w", workspace, classify(err))
	}
	return out, nil
}

// hashSet runs a query of one column for a workspace into a set.
func (s *Store) hashSet(ctx context.Context, query, workspace string) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, query, workspace)
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
