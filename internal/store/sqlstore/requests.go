package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

const requestColumns = `r.id, r.workspace, r.project, r.organisations, r.status, r.author,
	r.created_at, r.last_submitted_at, r.review_turn, r.version`

func scanRequest(sc interface{ Scan(...any) error }) (domain.Request, error) {
	var r domain.Request
	var orgs, status string
	if err := sc.Scan(&r.ID, &r.Workspace, &r.Project, &orgs, &status, &r.Author,
		timeCol{&r.CreatedAt}, nullTimeCol{&r.LastSubmittedAt}, &r.ReviewTurn, &r.Version); err != nil {
		return r, err
	}
	r.Status = domain.Status(status)
	if orgs != "" {
		r.Organisations = strings.Split(orgs, ",")
	}
	r.SubmittedReviews = map[string]time.Time{}
	return r, nil
}

// The statements of the reads of requests. Names sort byte by byte
// (COLLATE "C"), on every database.
const (
	getRequestSQL = `SELECT ` + requestColumns + ` FROM requests r WHERE r.id = ?`

	// RequestStampSQL is RequestStamp's query (exported for the dialects'
	// tests of its plan).
	RequestStampSQL = `
		SELECT version, COALESCE((SELECT MAX(id) FROM audit_log WHERE request = requests.id), 0)
		FROM requests WHERE id = ?`

	// The submitted reviews of requests r (selected by a WHERE clause
	// between the two parts) in their current and previous turns.
	submittedReviewsSelect = `
		SELECT sr.request_id, sr.reviewer, sr.review_turn, sr.submitted_at, r.review_turn
		FROM submitted_reviews sr JOIN requests r ON r.id = sr.request_id`
	submittedReviewsTurns      = ` AND sr.review_turn IN (r.review_turn, r.review_turn - 1)`
	requestSubmittedReviewsSQL = submittedReviewsSelect + ` WHERE r.id = ?` + submittedReviewsTurns

	requestGroupsSQL = `
		SELECT name, context, controls, created_at, updated_at
		FROM file_groups WHERE request_id = ? ORDER BY name COLLATE "C"`

	fileColumns = `f.relpath, g.name, f.file_id, f.filetype, f.timestamp, f.size, f.job_id,
			f.commit_sha, f.repo, f.row_count, f.col_count, f.released_at, f.released_by,
			f.uploaded, f.uploaded_at, f.upload_attempts, f.upload_attempted_at, f.upload_next_at, f.upload_error,
			f.checks, f.checks_override`
	requestFilesSQL = `
		SELECT ` + fileColumns + `
		FROM request_files f JOIN file_groups g ON g.id = f.group_id
		WHERE f.request_id = ? ORDER BY f.relpath COLLATE "C"`
	// requestFilesOfSQL is requestFilesSQL without its order, for a
	// condition on the files to follow.
	requestFilesOfSQL = `
		SELECT ` + fileColumns + `
		FROM request_files f JOIN file_groups g ON g.id = f.group_id
		WHERE f.request_id = ?`
	requestFileSQL = `
		SELECT ` + fileColumns + `
		FROM request_files f JOIN file_groups g ON g.id = f.group_id
		WHERE f.request_id = ? AND f.relpath = ?`
	requestFileReviewsSQL = `
		SELECT f.relpath, v.reviewer, v.status, v.created_at, v.updated_at, v.review_turn
		FROM file_reviews v JOIN request_files f ON f.id = v.file_id
		WHERE f.request_id = ?`
	requestCommentsSQL = `
		SELECT c.id, g.name, c.text, c.author, c.visibility, c.review_turn, c.created_at
		FROM comments c JOIN file_groups g ON g.id = c.group_id
		WHERE c.request_id = ? ORDER BY c.created_at DESC, c.id DESC`

	// releasedFileIDsSQL has no DISTINCT: the map ReleasedFileIDs builds
	// drops repeats, and DISTINCT would sort every row.
	releasedFileIDsSQL = `
		SELECT f.file_id
		FROM request_files f JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = ? AND f.released_at IS NOT NULL`
	releasedFilesSQL = `
		SELECT f.relpath, f.file_id, f.released_at
		FROM request_files f JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = ? AND f.released_at IS NOT NULL
		ORDER BY f.released_at, f.relpath COLLATE "C"`
	// fileIDsSQL lists the content hashes of every file of the workspace,
	// and of every version they had.
	fileIDsSQL = `
		SELECT f.file_id
		FROM request_files f JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = ?
		UNION
		SELECT v.file_id
		FROM file_versions v JOIN requests r ON r.id = v.request_id
		WHERE r.workspace = ?`
)

// ActiveRequestIDSQL is ActiveRequestID's query, written with the
// statuses exactly as the partial index requests_one_active lists them so
// that it uses that index (exported for the dialects' tests of its plan).
var ActiveRequestIDSQL = `
		SELECT id FROM requests
		WHERE workspace = ? AND author = ? AND status IN ` + ActiveStatusesSQL

// RequestStamp returns the request's version and newest audit event id.
func (s *Store) RequestStamp(ctx context.Context, id string) (store.Stamp, error) {
	var st store.Stamp
	err := q{s: s}.queryRow(ctx, RequestStampSQL, id).Scan(&st.Version, &st.LastEvent)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Stamp{}, store.ErrNotFound
	}
	if err != nil {
		return store.Stamp{}, s.fail(err, "stamp of request %s", id)
	}
	return st, nil
}

// GetRequest loads a request with everything on it, from one snapshot.
func (s *Store) GetRequest(ctx context.Context, id string) (*domain.Request, error) {
	return s.getRequest(ctx, id, nil)
}

// GetRequestPart loads a request's header, groups and only the files
// (with their votes) and comments part names, from one snapshot.
func (s *Store) GetRequestPart(ctx context.Context, id string, part store.RequestPart) (*domain.Request, error) {
	return s.getRequest(ctx, id, &part)
}

// getRequest loads the request with the files and comments part names;
// all of them when part is nil.
func (s *Store) getRequest(ctx context.Context, id string, part *store.RequestPart) (*domain.Request, error) {
	var (
		r     domain.Request
		found bool
		index = map[string]int{}
	)
	filesSQL, reviewsSQL, filesArgs := requestFilesSQL, requestFileReviewsSQL, []any{id}
	if part != nil {
		// Only the files named (none when none is).
		in := ` AND f.relpath IN (` + placeholders(max(len(part.Paths), 1)) + `)`
		filesSQL = requestFilesOfSQL + in + ` ORDER BY f.relpath COLLATE "C"`
		reviewsSQL = requestFileReviewsSQL + in
		if len(part.Paths) == 0 {
			filesArgs = append(filesArgs, nil) // relpath IN (NULL): no file
		}
		for _, p := range part.Paths {
			filesArgs = append(filesArgs, p)
		}
	}
	reviews := submittedReviews(func(string) *domain.Request { return &r })
	queries := []ReadQuery{
		{getRequestSQL, []any{id}, func(sc Scanner) (err error) {
			found = true
			r, err = scanRequest(sc)
			return err
		}},
		{requestSubmittedReviewsSQL, []any{id}, reviews},
		{requestGroupsSQL, []any{id}, func(sc Scanner) error {
			var g domain.Group
			err := sc.Scan(&g.Name, &g.Context, &g.Controls, timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt})
			r.Groups = append(r.Groups, g)
			return err
		}},
		{filesSQL, filesArgs, func(sc Scanner) error {
			f, err := scanFile(sc)
			index[f.Relpath] = len(r.Files)
			r.Files = append(r.Files, f)
			return err
		}},
		{reviewsSQL, filesArgs, func(sc Scanner) error {
			var relpath, vote string
			var rv domain.Review
			if err := sc.Scan(&relpath, &rv.Reviewer, &vote, timeCol{&rv.CreatedAt}, timeCol{&rv.UpdatedAt},
				&rv.ReviewTurn); err != nil {
				return err
			}
			rv.Vote = domain.Vote(vote)
			if i, ok := index[relpath]; ok {
				r.Files[i].Reviews[rv.Reviewer] = rv
			}
			return nil
		}},
	}
	if part == nil || part.Comments {
		queries = append(queries, ReadQuery{requestCommentsSQL, []any{id}, func(sc Scanner) error {
			var c domain.Comment
			var visibility string
			err := sc.Scan(&c.ID, &c.Group, &c.Text, &c.Author, &visibility, &c.ReviewTurn, timeCol{&c.CreatedAt})
			c.Visibility = domain.Visibility(visibility)
			r.Comments = append(r.Comments, c)
			return err
		}})
	}
	err := s.readAll(ctx, queries...)
	if err == nil && !found {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, s.fail(err, "get request %s", id)
	}
	slices.Sort(r.TurnReviewers)
	return &r, nil
}

// submittedReviews reads a row of a submittedReviewsSelect query into
// the SubmittedReviews (the current turn's) or TurnReviewers (the
// previous turn's) of the request of that id; TurnReviewers is left for
// the caller to sort.
func submittedReviews(request func(id string) *domain.Request) func(Scanner) error {
	return func(sc Scanner) error {
		var (
			reqID, reviewer string
			turn, current   int
			at              time.Time
		)
		if err := sc.Scan(&reqID, &reviewer, &turn, timeCol{&at}, &current); err != nil {
			return err
		}
		r := request(reqID)
		switch {
		case r == nil:
		case turn == current:
			r.SubmittedReviews[reviewer] = at
		default:
			r.TurnReviewers = append(r.TurnReviewers, reviewer)
		}
		return nil
	}
}

// each runs query and calls scan on each of its rows.
func (c q) each(ctx context.Context, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanFile reads one row of fileColumns.
func scanFile(row interface{ Scan(...any) error }) (domain.RequestFile, error) {
	var (
		f                                  domain.RequestFile
		fileType, checksJSON               string
		rowCount, colCount                 sql.NullInt64
		releasedBy, uploadError, overrides sql.NullString
	)
	if err := row.Scan(&f.Relpath, &f.Group, &f.FileID, &fileType, &f.Timestamp, &f.Size, &f.JobID,
		&f.Commit, &f.Repo, &rowCount, &colCount, nullTimeCol{&f.ReleasedAt}, &releasedBy,
		&f.Uploaded, nullTimeCol{&f.UploadedAt}, &f.UploadAttempts, nullTimeCol{&f.UploadAttemptedAt},
		nullTimeCol{&f.UploadNextAt}, &uploadError, &checksJSON, &overrides); err != nil {
		return f, err
	}
	if err := store.DecodeChecks(checksJSON, overrides.String, &f); err != nil {
		return f, err
	}
	f.FileType = domain.FileType(fileType)
	f.RowCount, f.ColCount = intPtr(rowCount), intPtr(colCount)
	f.ReleasedBy, f.UploadError = releasedBy.String, uploadError.String
	f.Reviews = map[string]domain.Review{}
	return f, nil
}

// GetRequestFile loads a request's header and one of its files.
func (s *Store) GetRequestFile(ctx context.Context, id, relpath string) (*domain.Request, domain.RequestFile, error) {
	var (
		r       domain.Request
		f       domain.RequestFile
		n       int
		scanned = func(err error) error { n++; return err }
	)
	err := s.readAll(ctx,
		ReadQuery{getRequestSQL, []any{id}, func(sc Scanner) (err error) { r, err = scanRequest(sc); return scanned(err) }},
		ReadQuery{requestFileSQL, []any{id, relpath}, func(sc Scanner) (err error) { f, err = scanFile(sc); return scanned(err) }},
	)
	if err == nil && n < 2 {
		return nil, f, store.ErrNotFound
	}
	if err != nil {
		return nil, f, s.fail(err, "get file %s of request %s", relpath, id)
	}
	return &r, f, nil
}

// ActiveRequestID returns the id of the author's active request.
func (s *Store) ActiveRequestID(ctx context.Context, workspace, author string) (string, error) {
	var id string
	err := q{s: s}.queryRow(ctx, ActiveRequestIDSQL, workspace, author).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return "", s.fail(err, "active request of %s in %s", author, workspace)
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
	byID := map[string]int{}
	err := s.readAll(ctx,
		ReadQuery{`SELECT ` + requestColumns + ` FROM requests r ` + where + `
			ORDER BY r.created_at DESC, r.id COLLATE "C" DESC`, args, func(sc Scanner) error {
			r, err := scanRequest(sc)
			byID[r.ID] = len(out)
			out = append(out, r)
			return err
		}},
		ReadQuery{submittedReviewsSelect + " " + where + submittedReviewsTurns, args,
			submittedReviews(func(id string) *domain.Request {
				if i, ok := byID[id]; ok {
					return &out[i]
				}
				return nil
			})},
	)
	for i := range out {
		slices.Sort(out[i].TurnReviewers)
	}
	if err != nil {
		return nil, s.fail(err, "list requests")
	}
	return out, nil
}

// ReleasedFileIDs returns the hashes of the workspace's released files.
func (s *Store) ReleasedFileIDs(ctx context.Context, workspace string) (map[string]bool, error) {
	out, err := s.hashSet(ctx, releasedFileIDsSQL, workspace)
	if err != nil {
		return nil, s.fail(err, "released files of %s", workspace)
	}
	return out, nil
}

// ReleasedFiles lists the files released from the workspace.
func (s *Store) ReleasedFiles(ctx context.Context, workspace string) ([]store.ReleasedFile, error) {
	var out []store.ReleasedFile
	err := q{s: s}.each(ctx, func(rows *sql.Rows) error {
		var f store.ReleasedFile
		err := rows.Scan(&f.Relpath, &f.FileID, timeCol{&f.ReleasedAt})
		out = append(out, f)
		return err
	}, releasedFilesSQL, workspace)
	if err != nil {
		return nil, s.fail(err, "released files of %s", workspace)
	}
	return out, nil
}

// FileIDs returns the hashes of every file (and version) of the workspace.
func (s *Store) FileIDs(ctx context.Context, workspace string) (map[string]bool, error) {
	out, err := s.hashSet(ctx, fileIDsSQL, workspace, workspace)
	if err != nil {
		return nil, s.fail(err, "files of %s", workspace)
	}
	return out, nil
}

// hashSet runs a query of one column into a set.
func (s *Store) hashSet(ctx context.Context, query string, args ...any) (map[string]bool, error) {
	out := map[string]bool{}
	err := q{s: s}.each(ctx, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		out[id] = true
		return err
	}, query, args...)
	return out, err
}
