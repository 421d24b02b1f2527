package sqlstore

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
type tx struct{ q }

var _ store.Tx = (*tx)(nil)

// The statements of the writes. An insert that may find its row taken
// does nothing instead (ON CONFLICT DO NOTHING), so that the transaction
// stays usable on every database, and reports store.ErrConflict.
const (
	guardRequestSQL = `
		UPDATE requests SET version = version + 1, updated_at = ?
		WHERE id = ? AND version = ?`
	requestVersionSQL = `SELECT version FROM requests WHERE id = ?`
	// touchRequestSQL records an unguarded change (upload bookkeeping).
	touchRequestSQL  = `UPDATE requests SET version = version + 1 WHERE id = ?`
	createRequestSQL = `
		INSERT INTO requests (id, workspace, project, organisations, status, author,
			created_at, last_submitted_at, review_turn, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
		ON CONFLICT DO NOTHING`
	setStatusSQL = `
		UPDATE requests SET status = ?, last_submitted_at = COALESCE(?, last_submitted_at)
		WHERE id = ?`
	setReviewTurnSQL      = `UPDATE requests SET review_turn = ? WHERE id = ?`
	addSubmittedReviewSQL = `
		INSERT INTO submitted_reviews (request_id, reviewer, review_turn, submitted_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	createGroupSQL = `
		INSERT INTO file_groups (request_id, name, context, controls, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	updateGroupSQL = `
		UPDATE file_groups SET context = ?, controls = ?, updated_at = ?
		WHERE request_id = ? AND name = ?`
	groupIDSQL    = `SELECT id FROM file_groups WHERE request_id = ? AND name = ?`
	insertFileSQL = `
		INSERT INTO request_files (request_id, group_id, relpath, file_id, filetype, timestamp,
			size, job_id, commit_sha, repo, row_count, col_count, released_at, released_by,
			uploaded, uploaded_at, upload_attempts, upload_attempted_at, upload_next_at, upload_error,
			checks, checks_override)
		SELECT request_id, id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		FROM file_groups WHERE request_id = ? AND name = ?
		ON CONFLICT DO NOTHING`
	setChecksOverrideSQL = `UPDATE request_files SET checks_override = ? WHERE request_id = ? AND relpath = ?`
	deleteFileSQL        = `DELETE FROM request_files WHERE request_id = ? AND relpath = ?`
	setFilePropertiesSQL = `
		UPDATE request_files SET group_id = ?, filetype = ?
		WHERE request_id = ? AND relpath = ?`
	fileExistsSQL      = `SELECT 1 FROM request_files WHERE request_id = ? AND relpath = ?`
	setFileReleasedSQL = `
		UPDATE request_files SET released_at = ?, released_by = ?
		WHERE request_id = ? AND relpath = ? AND released_at IS NULL`
	setFileUploadedSQL = `
		UPDATE request_files SET uploaded = TRUE, uploaded_at = ?, upload_lease_owner = NULL,
			upload_lease_until = NULL, upload_error = NULL
		WHERE request_id = ? AND relpath = ? AND uploaded = FALSE AND released_at IS NOT NULL`
	recordUploadAttemptSQL = `
		UPDATE request_files SET upload_attempts = upload_attempts + 1, upload_attempted_at = ?
		WHERE request_id = ? AND relpath = ? AND uploaded = FALSE AND released_at IS NOT NULL`
	putReviewSQL = `
		INSERT INTO file_reviews (file_id, reviewer, status, created_at, updated_at, review_turn)
		SELECT id, ?, ?, ?, ?, ? FROM request_files WHERE request_id = ? AND relpath = ?
		ON CONFLICT (file_id, reviewer) DO UPDATE SET
			status = excluded.status, updated_at = excluded.updated_at, review_turn = excluded.review_turn`
	deleteReviewSQL = `
		DELETE FROM file_reviews WHERE reviewer = ? AND file_id =
			(SELECT id FROM request_files WHERE request_id = ? AND relpath = ?)`
	insertCommentSQL = `
		INSERT INTO comments (group_id, request_id, text, author, visibility, review_turn, created_at)
		SELECT id, request_id, ?, ?, ?, ?, ? FROM file_groups WHERE request_id = ? AND name = ?
		RETURNING id`
	deleteCommentSQL        = `DELETE FROM comments WHERE id = ? AND request_id = ?`
	setCommentVisibilitySQL = `UPDATE comments SET visibility = ? WHERE id = ? AND request_id = ?`
	insertEventSQL          = `
		INSERT INTO audit_log (id, type, "user", workspace, request, path, extra, created_at,
			hidden, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	moveAuditHeadSQL  = `UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1 AND last_id = ?`
	hideTurnEventsSQL = `
		UPDATE audit_log SET hidden = TRUE
		WHERE request = ? AND extra->>'review_turn' = ?`
)

// fail is Store.fail.
func (t *tx) fail(err error, format string, args ...any) error { return t.s.fail(err, format, args...) }

// GuardRequest moves the request from version to version+1; its UPDATE
// locks the request's row: a concurrent guard waits, then finds it moved.
func (t *tx) GuardRequest(ctx context.Context, id string, version int64) error {
	err := t.execOne(ctx, guardRequestSQL, time.Now(), id, version)
	if !errors.Is(err, errNoRow) {
		if err != nil {
			return t.fail(err, "guard request %s", id)
		}
		return nil
	}
	var current int64
	err = t.queryRow(ctx, requestVersionSQL, id).Scan(&current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return t.fail(store.ErrNotFound, "guard request %s", id)
	case err != nil:
		return t.fail(err, "guard request %s", id)
	}
	return t.fail(store.ErrConflict, "guard request %s: at version %d, not %d", id, current, version)
}

// touchRequest increases the request's version without a guard. Upload
// bookkeeping does it before it writes the file, so that every
// transaction locks rows in one order (the request, then its files, then
// the audit chain's head) and two of them never wait on each other.
func (t *tx) touchRequest(ctx context.Context, id string) error {
	return t.execOne(ctx, touchRequestSQL, id)
}

// CreateRequest inserts the request's header (only) and sets r.Version
// to 1.
func (t *tx) CreateRequest(ctx context.Context, r *domain.Request) error {
	err := t.execOne(ctx, createRequestSQL,
		r.ID, r.Workspace, r.Project, strings.Join(r.Organisations, ","), string(r.Status), r.Author,
		r.CreatedAt, r.LastSubmittedAt, r.ReviewTurn, time.Now())
	if errors.Is(err, errNoRow) {
		return t.fail(store.ErrConflict, "create request %s: the id exists, or %s has an active request for %s",
			r.ID, r.Author, r.Workspace)
	}
	if err != nil {
		return t.fail(err, "create request %s", r.ID)
	}
	r.Version = 1
	return nil
}

// SetStatus changes the status, and the last submission time when given.
func (t *tx) SetStatus(ctx context.Context, id string, status domain.Status, lastSubmitted *time.Time) error {
	return t.fail(t.execOne(ctx, setStatusSQL, string(status), lastSubmitted, id), "set status of %s to %s", id, status)
}

// SetReviewTurn sets the request's review turn.
func (t *tx) SetReviewTurn(ctx context.Context, id string, turn int) error {
	return t.fail(t.execOne(ctx, setReviewTurnSQL, turn, id), "set review turn of %s", id)
}

// AddSubmittedReview records a reviewer's submitted review of a turn.
func (t *tx) AddSubmittedReview(ctx context.Context, id, reviewer string, turn int, at time.Time) error {
	err := t.execOne(ctx, addSubmittedReviewSQL, id, reviewer, turn, at)
	if errors.Is(err, errNoRow) {
		err = fmt.Errorf("already submitted in turn %d: %w", turn, store.ErrConflict)
	}
	return t.fail(err, "add submitted review of %s by %s", id, reviewer)
}

// CreateGroup adds a group to the request.
func (t *tx) CreateGroup(ctx context.Context, id string, g domain.Group) error {
	err := t.execOne(ctx, createGroupSQL, id, g.Name, g.Context, g.Controls, g.CreatedAt, g.UpdatedAt)
	if errors.Is(err, errNoRow) {
		err = fmt.Errorf("the group exists: %w", store.ErrConflict)
	}
	return t.fail(err, "create group %s/%s", id, g.Name)
}

// UpdateGroup sets a group's context and controls.
func (t *tx) UpdateGroup(ctx context.Context, id, group, groupContext, controls string, at time.Time) error {
	return t.fail(t.execOne(ctx, updateGroupSQL, groupContext, controls, at, id, group), "update group %s/%s", id, group)
}

// InsertFile adds a file, with every recorded field but its votes.
func (t *tx) InsertFile(ctx context.Context, id string, f domain.RequestFile) error {
	checksJSON, override, err := store.EncodeChecks(f)
	if err == nil {
		err = t.execOne(ctx, insertFileSQL,
			f.Relpath, f.FileID, string(f.FileType), f.Timestamp,
			f.Size, f.JobID, f.Commit, f.Repo, nullInt(f.RowCount), nullInt(f.ColCount),
			f.ReleasedAt, nullString(f.ReleasedBy),
			f.Uploaded, f.UploadedAt, f.UploadAttempts, f.UploadAttemptedAt, f.UploadNextAt, nullString(f.UploadError),
			checksJSON, nullString(override),
			id, f.Group)
	}
	if errors.Is(err, errNoRow) {
		// Nothing inserted: no such group, or the path is taken.
		var gid int64
		err = t.queryRow(ctx, groupIDSQL, id, f.Group).Scan(&gid)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return t.fail(store.ErrNotFound, "insert file %s/%s: no group %q", id, f.Relpath, f.Group)
		case err == nil:
			err = fmt.Errorf("the request has a file at that path: %w", store.ErrConflict)
		}
	}
	return t.fail(err, "insert file %s/%s", id, f.Relpath)
}

// SetChecksOverride records (or, with nil, clears) the author's override.
func (t *tx) SetChecksOverride(ctx context.Context, id, relpath string, o *domain.ChecksOverride) error {
	raw, err := store.EncodeOverride(o)
	if err == nil {
		err = t.execOne(ctx, setChecksOverrideSQL, nullString(raw), id, relpath)
	}
	return t.fail(err, "override checks of %s/%s", id, relpath)
}

// DeleteFile removes a file that has no votes.
func (t *tx) DeleteFile(ctx context.Context, id, relpath string) error {
	err := t.execOne(ctx, deleteFileSQL, id, relpath)
	if err != nil && !errors.Is(err, errNoRow) && errors.Is(err, store.ErrNotFound) {
		return t.fail(err, "delete file %s/%s: it still has votes", id, relpath)
	}
	return t.fail(err, "delete file %s/%s", id, relpath)
}

// SetFileProperties moves a file to a group and sets its type.
func (t *tx) SetFileProperties(ctx context.Context, id, relpath, group string, ft domain.FileType) error {
	var groupID int64
	err := t.queryRow(ctx, groupIDSQL, id, group).Scan(&groupID)
	if errors.Is(err, sql.ErrNoRows) {
		return t.fail(store.ErrNotFound, "set properties of %s/%s: no group %q", id, relpath, group)
	}
	if err == nil {
		err = t.execOne(ctx, setFilePropertiesSQL, groupID, string(ft), id, relpath)
	}
	return t.fail(err, "set properties of %s/%s", id, relpath)
}

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
	return t.fail(err, "set file %s/%s released", id, relpath)
}

// SetFileUploaded marks a file uploaded and ends any lease on it, and
// increases the request's version: the request first, then the file, in
// the order of every other writer (see touchRequest).
func (t *tx) SetFileUploaded(ctx context.Context, id, relpath string, at time.Time) error {
	err := t.touchRequest(ctx, id)
	if err == nil {
		err = t.execOne(ctx, setFileUploadedSQL, at, id, relpath)
	}
	return t.fail(err, "set file %s/%s uploaded", id, relpath)
}

// RecordUploadAttempt counts an upload attempt (the request first).
func (t *tx) RecordUploadAttempt(ctx context.Context, id, relpath string, at time.Time) error {
	err := t.touchRequest(ctx, id)
	if err == nil {
		err = t.execOne(ctx, recordUploadAttemptSQL, at, id, relpath)
	}
	return t.fail(err, "record upload attempt of %s/%s", id, relpath)
}

// PutReview sets a reviewer's vote on a file and the version voted on.
func (t *tx) PutReview(ctx context.Context, id, relpath string, rv domain.Review) error {
	err := t.execOne(ctx, putReviewSQL,
		rv.Reviewer, string(rv.Vote), rv.CreatedAt, rv.UpdatedAt, rv.ReviewTurn, id, relpath)
	if err == nil {
		// The vote records the version it was cast on.
		err = t.execOne(ctx, putReviewedVersionSQL, rv.Reviewer, rv.UpdatedAt, id, relpath)
	}
	return t.fail(err, "put review of %s/%s by %s", id, relpath, rv.Reviewer)
}

// DeleteReview removes a reviewer's vote on a file.
func (t *tx) DeleteReview(ctx context.Context, id, relpath, reviewer string) error {
	return t.fail(t.execOne(ctx, deleteReviewSQL, reviewer, id, relpath), "delete review of %s/%s by %s", id, relpath, reviewer)
}

// InsertComment adds a comment to the group c.Group and returns its id.
func (t *tx) InsertComment(ctx context.Context, id string, c domain.Comment) (int64, error) {
	var commentID int64
	err := t.queryRow(ctx, insertCommentSQL,
		c.Text, c.Author, string(c.Visibility), c.ReviewTurn, c.CreatedAt, id, c.Group).Scan(&commentID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, t.fail(store.ErrNotFound, "insert comment on %s/%s: no such group", id, c.Group)
	}
	if err != nil {
		return 0, t.fail(err, "insert comment on %s/%s", id, c.Group)
	}
	return commentID, nil
}

// DeleteComment removes a comment of the request.
func (t *tx) DeleteComment(ctx context.Context, id string, commentID int64) error {
	return t.fail(t.execOne(ctx, deleteCommentSQL, commentID, id), "delete comment %d of %s", commentID, id)
}

// SetCommentVisibility changes the visibility of a comment.
func (t *tx) SetCommentVisibility(ctx context.Context, id string, commentID int64, vis domain.Visibility) error {
	return t.fail(t.execOne(ctx, setCommentVisibilitySQL, string(vis), commentID, id), "set visibility of comment %d of %s", commentID, id)
}

// AppendEvent adds e at the end of the audit log. It holds the chain's
// head (the dialect's LockAuditHead) until the transaction ends, so that
// appends from every connection and process take turns and the chain
// never forks. The stored event has its CreatedAt in UTC truncated to
// microseconds (the current time when zero) and a non-nil Extra, and its
// hash covers exactly what is stored.
func (t *tx) AppendEvent(ctx context.Context, e domain.Event) (domain.Event, error) {
	var lastID int64
	var lastHash string
	if err := t.queryRow(ctx, t.s.d.LockAuditHead).Scan(&lastID, &lastHash); err != nil {
		return domain.Event{}, t.fail(err, "append event: read audit head")
	}
	e, extra, err := store.ChainEvent(e, lastID, lastHash)
	if err != nil {
		return domain.Event{}, t.fail(err, "append event")
	}
	args := []any{e.ID, string(e.Type), e.User, e.Workspace, nullString(e.Request), nullString(e.Path),
		extra, e.CreatedAt, e.Hidden, e.PrevHash, e.Hash}
	if t.s.d.AppendEvent != "" {
		err = t.execOne(ctx, t.s.d.AppendEvent, append(args, lastID)...)
	} else if _, err = t.exec(ctx, insertEventSQL, args...); err == nil {
		err = t.execOne(ctx, moveAuditHeadSQL, e.ID, e.Hash, lastID)
	}
	return e, t.fail(err, "append event %d", e.ID)
}

// HideTurnEvents hides the request's events written in turn.
func (t *tx) HideTurnEvents(ctx context.Context, id string, turn int) error {
	if _, err := t.exec(ctx, hideTurnEventsSQL, id, strconv.Itoa(turn)); err != nil {
		return t.fail(err, "hide events of %s turn %d", id, turn)
	}
	return nil
}
