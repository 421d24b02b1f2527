package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// tx is the store.Tx of one write transaction.
type tx struct {
	tx pgx.Tx
}

var _ store.Tx = (*tx)(nil)

// errNoRow marks a statement that changed no row.
var errNoRow = fmt.Errorf("no such row: %w", store.ErrNotFound)

// execOne runs a statement that must change a row; when it changes none it
// returns errNoRow (a store.ErrNotFound).
func (t *tx) execOne(ctx context.Context, query string, args ...any) error {
	tag, err := t.tx.Exec(ctx, query, args...)
	if err != nil {
		return classify(err)
	}
	if tag.RowsAffected() == 0 {
		return errNoRow
	}
	return nil
}

// exists reports whether query returns a row.
func (t *tx) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := t.tx.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, classify(err)
	}
	return true, nil
}

const (
	guardRequestSQL = `
		UPDATE requests SET version = version + 1, updated_at = $1
		WHERE id = $2 AND version = $3`
	requestVersionSQL = `SELECT version FROM requests WHERE id = $1`
)

// GuardRequest moves the request from version to version+1. The UPDATE
// locks the request's row until the transaction ends: a concurrent guard
// waits, then finds the version moved.
func (t *tx) GuardRequest(ctx context.Context, id string, version int64) error {
	tag, err := t.tx.Exec(ctx, guardRequestSQL, time.Now(), id, version)
	if err != nil {
		return fmt.Errorf("postgres: guard request %s: %w", id, classify(err))
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var current int64
	err = t.tx.QueryRow(ctx, requestVersionSQL, id).Scan(&current)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: guard request %s: %w", id, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("postgres: guard request %s: %w", id, classify(err))
	}
	return fmt.Errorf("postgres: guard request %s: at version %d, not %d: %w", id, current, version, store.ErrConflict)
}

// touchRequestSQL records an unguarded change (upload bookkeeping).
const touchRequestSQL = `UPDATE requests SET version = version + 1 WHERE id = $1`

// touchRequest increases the request's version without a guard. Upload
// bookkeeping does it before it writes the file, so that every
// transaction locks rows in one order (the request, then its files, then
// the audit chain's head) and two of them never wait on each other. Should
// the file's write then fail, the caller rolls the transaction back.
func (t *tx) touchRequest(ctx context.Context, id string) error {
	return t.execOne(ctx, touchRequestSQL, id)
}

const createRequestSQL = `
		INSERT INTO requests (id, workspace, project, organisations, status, author,
			created_at, last_submitted_at, review_turn, version, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10)
		ON CONFLICT DO NOTHING`

// CreateRequest inserts the request's header at version 1 and sets
// r.Version to 1. Its groups, files, comments and submitted reviews are
// not written. ErrConflict when the id exists or the author has an active
// request for the workspace (the transaction stays usable).
func (t *tx) CreateRequest(ctx context.Context, r *domain.Request) error {
	err := t.execOne(ctx, createRequestSQL,
		r.ID, r.Workspace, r.Project, strings.Join(r.Organisations, ","), string(r.Status), r.Author,
		r.CreatedAt, r.LastSubmittedAt, r.ReviewTurn, time.Now())
	if errors.Is(err, errNoRow) {
		return fmt.Errorf("postgres: create request %s: the id exists, or %s has an active request for %s: %w",
			r.ID, r.Author, r.Workspace, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgres: create request %s: %w", r.ID, classify(err))
	}
	r.Version = 1
	return nil
}

const setStatusSQL = `
		UPDATE requests SET status = $1, last_submitted_at = COALESCE($2, last_submitted_at)
		WHERE id = $3`

// SetStatus changes the status, and the last submission time when given.
// ErrConflict when the author already has another active request for the
// workspace.
func (t *tx) SetStatus(ctx context.Context, id string, status domain.Status, lastSubmitted *time.Time) error {
	if err := t.execOne(ctx, setStatusSQL, string(status), lastSubmitted, id); err != nil {
		return fmt.Errorf("postgres: set status of %s to %s: %w", id, status, classify(err))
	}
	return nil
}

const setReviewTurnSQL = `UPDATE requests SET review_turn = $1 WHERE id = $2`

// SetReviewTurn sets the request's review turn.
func (t *tx) SetReviewTurn(ctx context.Context, id string, turn int) error {
	if err := t.execOne(ctx, setReviewTurnSQL, turn, id); err != nil {
		return fmt.Errorf("postgres: set review turn of %s: %w", id, classify(err))
	}
	return nil
}

const addSubmittedReviewSQL = `
		INSERT INTO submitted_reviews (request_id, reviewer, review_turn, submitted_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`

// AddSubmittedReview records a reviewer's submitted review of a turn.
// ErrConflict when they had submitted it already.
func (t *tx) AddSubmittedReview(ctx context.Context, id, reviewer string, turn int, at time.Time) error {
	err := t.execOne(ctx, addSubmittedReviewSQL, id, reviewer, turn, at)
	if errors.Is(err, errNoRow) {
		err = fmt.Errorf("already submitted in turn %d: %w", turn, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgres: add submitted review of %s by %s: %w", id, reviewer, classify(err))
	}
	return nil
}

const createGroupSQL = `
		INSERT INTO file_groups (request_id, name, context, controls, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`

// CreateGroup adds a group to the request. ErrConflict when the name
// exists.
func (t *tx) CreateGroup(ctx context.Context, id string, g domain.Group) error {
	err := t.execOne(ctx, createGroupSQL, id, g.Name, g.Context, g.Controls, g.CreatedAt, g.UpdatedAt)
	if errors.Is(err, errNoRow) {
		err = fmt.Errorf("the group exists: %w", store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgres: create group %s/%s: %w", id, g.Name, classify(err))
	}
	return nil
}

const updateGroupSQL = `
		UPDATE file_groups SET context = $1, controls = $2, updated_at = $3
		WHERE request_id = $4 AND name = $5`

// UpdateGroup sets a group's context and controls.
func (t *tx) UpdateGroup(ctx context.Context, id, group, groupContext, controls string, at time.Time) error {
	if err := t.execOne(ctx, updateGroupSQL, groupContext, controls, at, id, group); err != nil {
		return fmt.Errorf("postgres: update group %s/%s: %w", id, group, classify(err))
	}
	return nil
}

const (
	insertFileSQL = `
		INSERT INTO request_files (request_id, group_id, relpath, file_id, filetype, timestamp,
			size, job_id, commit_sha, repo, row_count, col_count, released_at, released_by,
			uploaded, uploaded_at, upload_attempts, upload_attempted_at, upload_next_at, upload_error,
			checks, checks_override)
		SELECT request_id, id, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20
		FROM file_groups WHERE request_id = $21 AND name = $22
		ON CONFLICT DO NOTHING`
	groupExistsSQL = `SELECT 1 FROM file_groups WHERE request_id = $1 AND name = $2`
)

// InsertFile adds a file, with every recorded field but its votes, to the
// group f.Group. ErrNotFound when there is no such group, ErrConflict when
// the request has a file at that path.
func (t *tx) InsertFile(ctx context.Context, id string, f domain.RequestFile) error {
	checksJSON, override, err := store.EncodeChecks(f)
	if err != nil {
		return fmt.Errorf("postgres: insert file %s/%s: %w", id, f.Relpath, classify(err))
	}
	err = t.execOne(ctx, insertFileSQL,
		f.Relpath, f.FileID, string(f.FileType), f.Timestamp,
		f.Size, f.JobID, f.Commit, f.Repo, int64Ptr(f.RowCount), int64Ptr(f.ColCount),
		f.ReleasedAt, nullString(f.ReleasedBy),
		f.Uploaded, f.UploadedAt, f.UploadAttempts, f.UploadAttemptedAt, f.UploadNextAt, nullString(f.UploadError),
		checksJSON, nullString(override),
		id, f.Group)
	if errors.Is(err, errNoRow) {
		// Nothing inserted: no such group, or the path is taken.
		ok, gerr := t.exists(ctx, groupExistsSQL, id, f.Group)
		switch {
		case gerr != nil:
			err = gerr
		case ok:
			err = fmt.Errorf("the request has a file at that path: %w", store.ErrConflict)
		default:
			return fmt.Errorf("postgres: insert file %s/%s: no group %q: %w", id, f.Relpath, f.Group, store.ErrNotFound)
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: insert file %s/%s: %w", id, f.Relpath, classify(err))
	}
	return nil
}

const setChecksOverrideSQL = `
		UPDATE request_files SET checks_override = $1 WHERE request_id = $2 AND relpath = $3`

// SetChecksOverride records (or, with nil, clears) the author's override
// of a file's blocking disclosure findings.
func (t *tx) SetChecksOverride(ctx context.Context, id, relpath string, o *domain.ChecksOverride) error {
	raw, err := store.EncodeOverride(o)
	if err == nil {
		err = t.execOne(ctx, setChecksOverrideSQL, nullString(raw), id, relpath)
	}
	if errors.Is(err, errNoRow) {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("postgres: override checks of %s/%s: %w", id, relpath, classify(err))
	}
	return nil
}

const deleteFileSQL = `DELETE FROM request_files WHERE request_id = $1 AND relpath = $2`

// DeleteFile removes a file that has no votes.
func (t *tx) DeleteFile(ctx context.Context, id, relpath string) error {
	tag, err := t.tx.Exec(ctx, deleteFileSQL, id, relpath)
	switch {
	case pgCode(err) == codeForeignKeyViolation:
		return fmt.Errorf("postgres: delete file %s/%s: it still has votes: %w", id, relpath, classify(err))
	case err != nil:
		return fmt.Errorf("postgres: delete file %s/%s: %w", id, relpath, classify(err))
	case tag.RowsAffected() == 0:
		return fmt.Errorf("postgres: delete file %s/%s: %w", id, relpath, store.ErrNotFound)
	}
	return nil
}

const (
	groupIDSQL           = `SELECT id FROM file_groups WHERE request_id = $1 AND name = $2`
	setFilePropertiesSQL = `
		UPDATE request_files SET group_id = $1, filetype = $2
		WHERE request_id = $3 AND relpath = $4`
)

// SetFileProperties moves a file to a group and sets its type.
func (t *tx) SetFileProperties(ctx context.Context, id, relpath, group string, ft domain.FileType) error {
	var groupID int64
	err := t.tx.QueryRow(ctx, groupIDSQL, id, group).Scan(&groupID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: set properties of %s/%s: no group %q: %w", id, relpath, group, store.ErrNotFound)
	}
	if err == nil {
		err = t.execOne(ctx, setFilePropertiesSQL, groupID, string(ft), id, relpath)
	}
	if err != nil {
		return fmt.Errorf("postgres: set properties of %s/%s: %w", id, relpath, classify(err))
	}
	return nil
}

const (
	fileExistsSQL      = `SELECT 1 FROM request_files WHERE request_id = $1 AND relpath = $2`
	setFileReleasedSQL = `
		UPDATE request_files SET released_at = $1, released_by = $2
		WHERE request_id = $3 AND relpath = $4 AND released_at IS NULL`
)

// SetFileReleased marks a file released; a file released already keeps
// its first release.
func (t *tx) SetFileReleased(ctx context.Context, id, relpath string, at time.Time, by string) error {
	err := t.execOne(ctx, setFileReleasedSQL, at, by, id, relpath)
	if errors.Is(err, errNoRow) {
		var ok bool
		if ok, err = t.exists(ctx, fileExistsSQL, id, relpath); ok {
			return nil
		} else if err == nil {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: set file %s/%s released: %w", id, relpath, classify(err))
	}
	return nil
}

const setFileUploadedSQL = `
		UPDATE request_files SET uploaded = TRUE, uploaded_at = $1, upload_lease_owner = NULL, upload_lease_until = NULL,
			upload_error = NULL
		WHERE request_id = $2 AND relpath = $3 AND NOT uploaded AND released_at IS NOT NULL`

// SetFileUploaded marks a file uploaded and ends any lease on it, and
// increases the request's version.
func (t *tx) SetFileUploaded(ctx context.Context, id, relpath string, at time.Time) error {
	err := t.touchRequest(ctx, id)
	if err == nil {
		err = t.execOne(ctx, setFileUploadedSQL, at, id, relpath)
	}
	if err != nil {
		return fmt.Errorf("postgres: set file %s/%s uploaded: %w", id, relpath, classify(err))
	}
	return nil
}

const recordUploadAttemptSQL = `
		UPDATE request_files SET upload_attempts = upload_attempts + 1, upload_attempted_at = $1
		WHERE request_id = $2 AND relpath = $3 AND NOT uploaded AND released_at IS NOT NULL`

// RecordUploadAttempt counts an upload attempt, and increases the
// request's version.
func (t *tx) RecordUploadAttempt(ctx context.Context, id, relpath string, at time.Time) error {
	err := t.touchRequest(ctx, id)
	if err == nil {
		err = t.execOne(ctx, recordUploadAttemptSQL, at, id, relpath)
	}
	if err != nil {
		return fmt.Errorf("postgres: record upload attempt of %s/%s: %w", id, relpath, classify(err))
	}
	return nil
}

const putReviewSQL = `
		INSERT INTO file_reviews (file_id, reviewer, status, created_at, updated_at, review_turn)
		SELECT id, $1, $2, $3, $4, $5 FROM request_files WHERE request_id = $6 AND relpath = $7
		ON CONFLICT (file_id, reviewer) DO UPDATE SET
			status = excluded.status, updated_at = excluded.updated_at, review_turn = excluded.review_turn`

// PutReview inserts or replaces a reviewer's vote on a file, keeping the
// CreatedAt of the first vote, and records the version voted on.
// ErrNotFound when there is no such file.
func (t *tx) PutReview(ctx context.Context, id, relpath string, rv domain.Review) error {
	err := t.execOne(ctx, putReviewSQL,
		rv.Reviewer, string(rv.Vote), rv.CreatedAt, rv.UpdatedAt, rv.ReviewTurn, id, relpath)
	if err == nil {
		// The vote records the version it was cast on.
		err = t.execOne(ctx, putReviewedVersionSQL, rv.Reviewer, rv.UpdatedAt, id, relpath)
	}
	if err != nil {
		return fmt.Errorf("postgres: put review of %s/%s by %s: %w", id, relpath, rv.Reviewer, classify(err))
	}
	return nil
}

const deleteReviewSQL = `
		DELETE FROM file_reviews WHERE reviewer = $1 AND file_id =
			(SELECT id FROM request_files WHERE request_id = $2 AND relpath = $3)`

// DeleteReview removes a reviewer's vote on a file.
func (t *tx) DeleteReview(ctx context.Context, id, relpath, reviewer string) error {
	if err := t.execOne(ctx, deleteReviewSQL, reviewer, id, relpath); err != nil {
		return fmt.Errorf("postgres: delete review of %s/%s by %s: %w", id, relpath, reviewer, classify(err))
	}
	return nil
}

const insertCommentSQL = `
		INSERT INTO comments (group_id, request_id, text, author, visibility, review_turn, created_at)
		SELECT id, request_id, $1, $2, $3, $4, $5 FROM file_groups WHERE request_id = $6 AND name = $7
		RETURNING id`

// InsertComment adds a comment to the group c.Group and returns its id.
// ErrNotFound when there is no such group.
func (t *tx) InsertComment(ctx context.Context, id string, c domain.Comment) (int64, error) {
	var commentID int64
	err := t.tx.QueryRow(ctx, insertCommentSQL,
		c.Text, c.Author, string(c.Visibility), c.ReviewTurn, c.CreatedAt, id, c.Group).Scan(&commentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: insert comment on %s/%s: no such group: %w", id, c.Group, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: insert comment on %s/%s: %w", id, c.Group, classify(err))
	}
	return commentID, nil
}

const deleteCommentSQL = `DELETE FROM comments WHERE id = $1 AND request_id = $2`

// DeleteComment removes a comment of the request.
func (t *tx) DeleteComment(ctx context.Context, id string, commentID int64) error {
	if err := t.execOne(ctx, deleteCommentSQL, commentID, id); err != nil {
		return fmt.Errorf("postgres: delete comment %d of %s: %w", commentID, id, classify(err))
	}
	return nil
}

const setCommentVisibilitySQL = `UPDATE comments SET visibility = $1 WHERE id = $2 AND request_id = $3`

// SetCommentVisibility changes the visibility of a comment of the request.
// ErrNotFound when there is no such comment.
func (t *tx) SetCommentVisibility(ctx context.Context, id string, commentID int64, vis domain.Visibility) error {
	if err := t.execOne(ctx, setCommentVisibilitySQL, string(vis), commentID, id); err != nil {
		return fmt.Errorf("postgres: set visibility of comment %d of %s: %w", commentID, id, classify(err))
	}
	return nil
}

const (
	// lockAuditHeadSQL takes the chain's head row until the transaction
	// ends: appends from every connection and process take turns here.
	lockAuditHeadSQL = `SELECT last_id, last_hash FROM audit_head WHERE id = 1 FOR UPDATE`
	// appendEventSQL inserts the event and moves the head in one statement.
	appendEventSQL = `
		WITH ev AS (
			INSERT INTO audit_log (id, type, "user", workspace, request, path, extra, created_at,
				hidden, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			RETURNING id, hash)
		UPDATE audit_head SET last_id = ev.id, last_hash = ev.hash
		FROM ev WHERE audit_head.id = 1 AND audit_head.last_id = $12`
)

// AppendEvent adds e at the end of the audit log. The stored event has
// its CreatedAt in UTC truncated to microseconds (the current time when
// zero) and a non-nil Extra, and its hash covers exactly what is stored.
func (t *tx) AppendEvent(ctx context.Context, e domain.Event) (domain.Event, error) {
	var (
		lastID   int64
		lastHash string
	)
	if err := t.tx.QueryRow(ctx, lockAuditHeadSQL).Scan(&lastID, &lastHash); err != nil {
		return domain.Event{}, fmt.Errorf("postgres: append event: read audit head: %w", classify(err))
	}
	e, extra, err := store.ChainEvent(e, lastID, lastHash)
	if err != nil {
		return domain.Event{}, fmt.Errorf("postgres: append event: %w", classify(err))
	}
	err = t.execOne(ctx, appendEventSQL,
		e.ID, string(e.Type), e.User, e.Workspace, nullString(e.Request), nullString(e.Path),
		extra, e.CreatedAt, e.Hidden, e.PrevHash, e.Hash, lastID)
	if err != nil {
		return domain.Event{}, fmt.Errorf("postgres: append event %d: %w", e.ID, classify(err))
	}
	return e, nil
}

const hideTurnEventsSQL = `
		UPDATE audit_log SET hidden = TRUE
		WHERE request = $1 AND extra->>'review_turn' = $2`

// HideTurnEvents hides the request's events written in turn.
func (t *tx) HideTurnEvents(ctx context.Context, id string, turn int) error {
	if _, err := t.tx.Exec(ctx, hideTurnEventsSQL, id, strconv.Itoa(turn)); err != nil {
		return fmt.Errorf("postgres: hide events of %s turn %d: %w", id, turn, classify(err))
	}
	return nil
}
