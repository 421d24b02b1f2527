package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// tx is the store.Tx of one write transaction.
type tx struct {
	tx *sql.Tx
	st *statements
}

var _ store.Tx = (*tx)(nil)

// stmt returns the prepared statement s bound to the transaction. It is
// closed when the transaction ends; s itself stays open.
func (t *tx) stmt(ctx context.Context, s *sql.Stmt) *sql.Stmt {
	return t.tx.StmtContext(ctx, s)
}

const (
	guardRequestSQL = `
		UPDATE requests SET version = version + 1, updated_at = ?
		WHERE id = ? AND version = ?`
	requestVersionSQL = `SELECT version FROM requests WHERE id = ?`
	// touchRequestSQL records an unguarded change (upload bookkeeping).
	touchRequestSQL = `UPDATE requests SET version = version + 1 WHERE id = ?`
)

// GuardRequest moves the request from version to version+1.
func (t *tx) GuardRequest(ctx context.Context, id string, version int64) error {
	res, err := t.stmt(ctx, t.st.guardRequest).ExecContext(ctx, formatTime(time.Now()), id, version)
	if err != nil {
		return fmt.Errorf("sqlite: guard request %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: guard request %s: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	var current int64
	err = t.stmt(ctx, t.st.requestVersion).QueryRowContext(ctx, id).Scan(&current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: guard request %s: %w", id, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("sqlite: guard request %s: %w", id, err)
	}
	return fmt.Errorf("sqlite: guard request %s: at version %d, not %d: %w", id, current, version, store.ErrConflict)
}

const createRequestSQL = `
		INSERT INTO requests (id, workspace, project, organisations, status, author,
			created_at, last_submitted_at, review_turn, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`

// CreateRequest inserts the request's header at version 1 and sets
// r.Version to 1. Its groups, files, comments and submitted reviews are
// not written.
func (t *tx) CreateRequest(ctx context.Context, r *domain.Request) error {
	_, err := t.stmt(ctx, t.st.createRequest).ExecContext(ctx,
		r.ID, r.Workspace, r.Project, strings.Join(r.Organisations, ","), string(r.Status), r.Author,
		formatTime(r.CreatedAt), formatTimePtr(r.LastSubmittedAt), r.ReviewTurn, formatTime(time.Now()))
	if err != nil {
		return fmt.Errorf("sqlite: create request %s: %w", r.ID, insertErr(err))
	}
	r.Version = 1
	return nil
}

const setStatusSQL = `
		UPDATE requests SET status = ?, last_submitted_at = COALESCE(?, last_submitted_at)
		WHERE id = ?`

// SetStatus changes the status, and the last submission time when given.
// ErrConflict when the author already has another active request for the
// workspace.
func (t *tx) SetStatus(ctx context.Context, id string, status domain.Status, lastSubmitted *time.Time) error {
	err := execOne(ctx, t.stmt(ctx, t.st.setStatus), string(status), formatTimePtr(lastSubmitted), id)
	if err != nil {
		return fmt.Errorf("sqlite: set status of %s to %s: %w", id, status, insertErr(err))
	}
	return nil
}

const setReviewTurnSQL = `UPDATE requests SET review_turn = ? WHERE id = ?`

// SetReviewTurn sets the request's review turn.
func (t *tx) SetReviewTurn(ctx context.Context, id string, turn int) error {
	if err := execOne(ctx, t.stmt(ctx, t.st.setReviewTurn), turn, id); err != nil {
		return fmt.Errorf("sqlite: set review turn of %s: %w", id, err)
	}
	return nil
}

const addSubmittedReviewSQL = `
		INSERT INTO submitted_reviews (request_id, reviewer, review_turn, submitted_at)
		VALUES (?, ?, ?, ?)`

// AddSubmittedReview records a reviewer's submitted review of a turn.
func (t *tx) AddSubmittedReview(ctx context.Context, id, reviewer string, turn int, at time.Time) error {
	_, err := t.stmt(ctx, t.st.addSubmittedReview).ExecContext(ctx, id, reviewer, turn, formatTime(at))
	if err != nil {
		return fmt.Errorf("sqlite: add submitted review of %s by %s: %w", id, reviewer, insertErr(err))
	}
	return nil
}

const createGroupSQL = `
		INSERT INTO file_groups (request_id, name, context, controls, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`

// CreateGroup adds a group to the request.
func (t *tx) CreateGroup(ctx context.Context, id string, g domain.Group) error {
	_, err := t.stmt(ctx, t.st.createGroup).ExecContext(ctx,
		id, g.Name, g.Context, g.Controls, formatTime(g.CreatedAt), formatTime(g.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create group %s/%s: %w", id, g.Name, insertErr(err))
	}
	return nil
}

const updateGroupSQL = `
		UPDATE file_groups SET context = ?, controls = ?, updated_at = ?
		WHERE request_id = ? AND name = ?`

// UpdateGroup sets a group's context and controls.
func (t *tx) UpdateGroup(ctx context.Context, id, group, groupContext, controls string, at time.Time) error {
	err := execOne(ctx, t.stmt(ctx, t.st.updateGroup), groupContext, controls, formatTime(at), id, group)
	if err != nil {
		return fmt.Errorf("sqlite: update group %s/%s: %w", id, group, err)
	}
	return nil
}

const insertFileSQL = `
		INSERT INTO request_files (request_id, group_id, relpath, file_id, filetype, timestamp,
			size, job_id, commit_sha, repo, row_count, col_count, released_at, released_by,
			uploaded, uploaded_at, upload_attempts, upload_attempted_at, upload_next_at, upload_error,
			checks, checks_override)
		SELECT request_id, id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		FROM file_groups WHERE request_id = ? AND name = ?`

// InsertFile adds a file, with every recorded field but its votes, to the
// group f.Group. ErrNotFound when there is no such group.
func (t *tx) InsertFile(ctx context.Context, id string, f domain.RequestFile) error {
	checksJSON, override, err := store.EncodeChecks(f)
	if err != nil {
		return fmt.Errorf("sqlite: insert file %s/%s: %w", id, f.Relpath, err)
	}
	err = execOne(ctx, t.stmt(ctx, t.st.insertFile),
		f.Relpath, f.FileID, string(f.FileType), f.Timestamp,
		f.Size, f.JobID, f.Commit, f.Repo, nullInt(f.RowCount), nullInt(f.ColCount),
		formatTimePtr(f.ReleasedAt), nullString(f.ReleasedBy),
		f.Uploaded, formatTimePtr(f.UploadedAt), f.UploadAttempts, formatTimePtr(f.UploadAttemptedAt),
		formatTimePtr(f.UploadNextAt), nullString(f.UploadError),
		checksJSON, nullString(override),
		id, f.Group)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("sqlite: insert file %s/%s: no group %q: %w", id, f.Relpath, f.Group, err)
		}
		return fmt.Errorf("sqlite: insert file %s/%s: %w", id, f.Relpath, insertErr(err))
	}
	return nil
}

const setChecksOverrideSQL = `
		UPDATE request_files SET checks_override = ? WHERE request_id = ? AND relpath = ?`

// SetChecksOverride records (or, with nil, clears) the author's override
// of a file's blocking disclosure findings.
func (t *tx) SetChecksOverride(ctx context.Context, id, relpath string, o *domain.ChecksOverride) error {
	raw, err := store.EncodeOverride(o)
	if err != nil {
		return fmt.Errorf("sqlite: override checks of %s/%s: %w", id, relpath, err)
	}
	if err := execOne(ctx, t.stmt(ctx, t.st.setChecksOverride), nullString(raw), id, relpath); err != nil {
		return fmt.Errorf("sqlite: override checks of %s/%s: %w", id, relpath, err)
	}
	return nil
}

const deleteFileSQL = `DELETE FROM request_files WHERE request_id = ? AND relpath = ?`

// DeleteFile removes a file that has no votes.
func (t *tx) DeleteFile(ctx context.Context, id, relpath string) error {
	err := execOne(ctx, t.stmt(ctx, t.st.deleteFile), id, relpath)
	if isForeignKeyViolation(err) {
		return fmt.Errorf("sqlite: delete file %s/%s: it still has votes: %w", id, relpath, err)
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete file %s/%s: %w", id, relpath, err)
	}
	return nil
}

const (
	groupIDSQL           = `SELECT id FROM file_groups WHERE request_id = ? AND name = ?`
	setFilePropertiesSQL = `
		UPDATE request_files SET group_id = ?, filetype = ?
		WHERE request_id = ? AND relpath = ?`
)

// SetFileProperties moves a file to a group and sets its type.
func (t *tx) SetFileProperties(ctx context.Context, id, relpath, group string, ft domain.FileType) error {
	var groupID int64
	err := t.stmt(ctx, t.st.groupID).QueryRowContext(ctx, id, group).Scan(&groupID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: set properties of %s/%s: no group %q: %w", id, relpath, group, store.ErrNotFound)
	}
	if err == nil {
		err = execOne(ctx, t.stmt(ctx, t.st.setFileProperties), groupID, string(ft), id, relpath)
	}
	if err != nil {
		return fmt.Errorf("sqlite: set properties of %s/%s: %w", id, relpath, err)
	}
	return nil
}

const fileExistsSQL = `SELECT 1 FROM request_files WHERE request_id = ? AND relpath = ?`

// fileExists reports whether the request has a file at relpath.
func (t *tx) fileExists(ctx context.Context, id, relpath string) (bool, error) {
	var one int
	err := t.stmt(ctx, t.st.fileExists).QueryRowContext(ctx, id, relpath).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

const setFileReleasedSQL = `
		UPDATE request_files SET released_at = ?, released_by = ?
		WHERE request_id = ? AND relpath = ? AND released_at IS NULL`

// SetFileReleased marks a file released; a file released already keeps
// its first release.
func (t *tx) SetFileReleased(ctx context.Context, id, relpath string, at time.Time, by string) error {
	err := execOne(ctx, t.stmt(ctx, t.st.setFileReleased), formatTime(at), by, id, relpath)
	if errors.Is(err, store.ErrNotFound) {
		var ok bool
		if ok, err = t.fileExists(ctx, id, relpath); ok {
			return nil
		} else if err == nil {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("sqlite: set file %s/%s released: %w", id, relpath, err)
	}
	return nil
}

const setFileUploadedSQL = `
		UPDATE request_files SET uploaded = 1, uploaded_at = ?, upload_lease_owner = NULL, upload_lease_until = NULL,
			upload_error = NULL
		WHERE request_id = ? AND relpath = ? AND uploaded = 0 AND released_at IS NOT NULL`

// SetFileUploaded marks a file uploaded.
func (t *tx) SetFileUploaded(ctx context.Context, id, relpath string, at time.Time) error {
	err := execOne(ctx, t.stmt(ctx, t.st.setFileUploaded), formatTime(at), id, relpath)
	if err == nil {
		err = execOne(ctx, t.stmt(ctx, t.st.touchRequest), id)
	}
	if err != nil {
		return fmt.Errorf("sqlite: set file %s/%s uploaded: %w", id, relpath, err)
	}
	return nil
}

const recordUploadAttemptSQL = `
		UPDATE request_files SET upload_attempts = upload_attempts + 1, upload_attempted_at = ?
		WHERE request_id = ? AND relpath = ? AND uploaded = 0 AND released_at IS NOT NULL`

// RecordUploadAttempt counts an upload attempt.
func (t *tx) RecordUploadAttempt(ctx context.Context, id, relpath string, at time.Time) error {
	err := execOne(ctx, t.stmt(ctx, t.st.recordUploadAttempt), formatTime(at), id, relpath)
	if err == nil {
		err = execOne(ctx, t.stmt(ctx, t.st.touchRequest), id)
	}
	if err != nil {
		return fmt.Errorf("sqlite: record upload attempt of %s/%s: %w", id, relpath, err)
	}
	return nil
}

const putReviewSQL = `
		INSERT INTO file_reviews (file_id, reviewer, status, created_at, updated_at, review_turn)
		SELECT id, ?, ?, ?, ?, ? FROM request_files WHERE request_id = ? AND relpath = ?
		ON CONFLICT (file_id, reviewer) DO UPDATE SET
			status = excluded.status, updated_at = excluded.updated_at, review_turn = excluded.review_turn`

// PutReview inserts or replaces a reviewer's vote on a file, keeping the
// CreatedAt of the first vote, and records the version voted on.
// ErrNotFound when there is no such file.
func (t *tx) PutReview(ctx context.Context, id, relpath string, rv domain.Review) error {
	err := execOne(ctx, t.stmt(ctx, t.st.putReview),
		rv.Reviewer, string(rv.Vote), formatTime(rv.CreatedAt), formatTime(rv.UpdatedAt), rv.ReviewTurn,
		id, relpath)
	if err == nil {
		// The vote records the version it was cast on.
		err = execOne(ctx, t.stmt(ctx, t.st.putReviewedVersion), rv.Reviewer, formatTime(rv.UpdatedAt), id, relpath)
	}
	if err != nil {
		return fmt.Errorf("sqlite: put review of %s/%s by %s: %w", id, relpath, rv.Reviewer, err)
	}
	return nil
}

const deleteReviewSQL = `
		DELETE FROM file_reviews WHERE reviewer = ? AND file_id =
			(SELECT id FROM request_files WHERE request_id = ? AND relpath = ?)`

// DeleteReview removes a reviewer's vote on a file.
func (t *tx) DeleteReview(ctx context.Context, id, relpath, reviewer string) error {
	err := execOne(ctx, t.stmt(ctx, t.st.deleteReview), reviewer, id, relpath)
	if err != nil {
		return fmt.Errorf("sqlite: delete review of %s/%s by %s: %w", id, relpath, reviewer, err)
	}
	return nil
}

const insertCommentSQL = `
		INSERT INTO comments (group_id, request_id, text, author, visibility, review_turn, created_at)
		SELECT id, request_id, ?, ?, ?, ?, ? FROM file_groups WHERE request_id = ? AND name = ?`

// InsertComment adds a comment to the group c.Group and returns its id.
// ErrNotFound when there is no such group.
func (t *tx) InsertComment(ctx context.Context, id string, c domain.Comment) (int64, error) {
	res, err := t.stmt(ctx, t.st.insertComment).ExecContext(ctx,
		c.Text, c.Author, string(c.Visibility), c.ReviewTurn, formatTime(c.CreatedAt), id, c.Group)
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert comment on %s/%s: %w", id, c.Group, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("sqlite: insert comment on %s/%s: %w", id, c.Group, err)
	} else if n == 0 {
		return 0, fmt.Errorf("sqlite: insert comment on %s/%s: no such group: %w", id, c.Group, store.ErrNotFound)
	}
	commentID, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert comment on %s/%s: %w", id, c.Group, err)
	}
	return commentID, nil
}

const deleteCommentSQL = `DELETE FROM comments WHERE id = ? AND request_id = ?`

// DeleteComment removes a comment of the request.
func (t *tx) DeleteComment(ctx context.Context, id string, commentID int64) error {
	err := execOne(ctx, t.stmt(ctx, t.st.deleteComment), commentID, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete comment %d of %s: %w", commentID, id, err)
	}
	return nil
}

const setCommentVisibilitySQL = `UPDATE comments SET visibility = ? WHERE id = ? AND request_id = ?`

// SetCommentVisibility changes the visibility of a comment of the request.
// ErrNotFound when there is no such comment.
func (t *tx) SetCommentVisibility(ctx context.Context, id string, commentID int64, vis domain.Visibility) error {
	err := execOne(ctx, t.stmt(ctx, t.st.setCommentVisibility), string(vis), commentID, id)
	if err != nil {
		return fmt.Errorf("sqlite: set visibility of comment %d of %s: %w", commentID, id, err)
	}
	return nil
}

const (
	insertEventSQL = `
		INSERT INTO audit_log (id, type, "user", workspace, request, path, extra, created_at,
			hidden, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	moveAuditHeadSQL = `UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1 AND last_id = ?`
)

// AppendEvent adds e at the end of the audit log. The stored event has
// its CreatedAt in UTC truncated to microseconds (the current time when
// zero) and a non-nil Extra, and its hash covers exactly what is stored.
func (t *tx) AppendEvent(ctx context.Context, e domain.Event) (domain.Event, error) {
	var lastID int64
	var lastHash string
	if err := t.stmt(ctx, t.st.auditHead).QueryRowContext(ctx).Scan(&lastID, &lastHash); err != nil {
		return domain.Event{}, fmt.Errorf("sqlite: append event: read audit head: %w", err)
	}
	e, extra, err := store.ChainEvent(e, lastID, lastHash)
	if err != nil {
		return domain.Event{}, fmt.Errorf("sqlite: append event: %w", err)
	}
	if _, err := t.stmt(ctx, t.st.insertEvent).ExecContext(ctx,
		e.ID, string(e.Type), e.User, e.Workspace, nullString(e.Request), nullString(e.Path),
		extra, formatTime(e.CreatedAt), e.Hidden, e.PrevHash, e.Hash); err != nil {
		return domain.Event{}, fmt.Errorf("sqlite: append event %d: %w", e.ID, err)
	}
	if err := execOne(ctx, t.stmt(ctx, t.st.moveAuditHead), e.ID, e.Hash, lastID); err != nil {
		return domain.Event{}, fmt.Errorf("sqlite: append event %d: move audit head: %w", e.ID, err)
	}
	return e, nil
}

const hideTurnEventsSQL = `
		UPDATE audit_log SET hidden = 1
		WHERE request = ? AND json_extract(extra, '$.review_turn') = ?`

// HideTurnEvents hides the request's events written in turn.
func (t *tx) HideTurnEvents(ctx context.Context, id string, turn int) error {
	_, err := t.stmt(ctx, t.st.hideTurnEvents).ExecContext(ctx, id, strconv.Itoa(turn))
	if err != nil {
		return fmt.Errorf("sqlite: hide events of %s turn %d: %w", id, turn, err)
	}
	return nil
}
