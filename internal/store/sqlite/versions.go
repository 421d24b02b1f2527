package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

const (
	fileVersionsSQL = `
		SELECT ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at
		FROM file_versions WHERE request_id = ? AND relpath = ? ORDER BY ordinal`
	requestVersionsSQL = `
		SELECT relpath, ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at
		FROM file_versions WHERE request_id = ? ORDER BY relpath, ordinal`
	latestVersionSQL = `
		SELECT ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at
		FROM file_versions WHERE request_id = ? AND relpath = ? ORDER BY ordinal DESC LIMIT 1`
	insertVersionSQL = `
		INSERT INTO file_versions (request_id, relpath, ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	reviewedVersionSQL = `
		SELECT file_id, voted_at FROM reviewed_versions WHERE request_id = ? AND relpath = ? AND reviewer = ?`
	putReviewedVersionSQL = `
		INSERT INTO reviewed_versions (request_id, relpath, reviewer, file_id, voted_at)
		SELECT request_id, relpath, ?, file_id, ? FROM request_files WHERE request_id = ? AND relpath = ?
		ON CONFLICT (request_id, relpath, reviewer) DO UPDATE SET
			file_id = excluded.file_id, voted_at = excluded.voted_at`
)

func scanVersion(sc interface{ Scan(...any) error }) (domain.FileVersion, error) {
	var v domain.FileVersion
	var at string
	if err := sc.Scan(&v.Ordinal, &v.FileID, &v.Size, &v.Timestamp, &v.Commit, &v.JobID, &v.AddedBy, &at); err != nil {
		return v, err
	}
	var err error
	v.AddedAt, err = parseTime(at)
	return v, err
}

// FileVersions lists the versions of a request file, oldest first.
func (s *Store) FileVersions(ctx context.Context, id, relpath string) ([]domain.FileVersion, error) {
	rows, err := s.st.fileVersions.QueryContext(ctx, id, relpath)
	if err != nil {
		return nil, fmt.Errorf("sqlite: versions of %s/%s: %w", id, relpath, err)
	}
	defer rows.Close()
	out := []domain.FileVersion{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: versions of %s/%s: %w", id, relpath, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: versions of %s/%s: %w", id, relpath, err)
	}
	return out, nil
}

// RequestVersions lists the versions of every path of the request.
func (s *Store) RequestVersions(ctx context.Context, id string) (map[string][]domain.FileVersion, error) {
	rows, err := s.st.requestVersions.QueryContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: versions of %s: %w", id, err)
	}
	defer rows.Close()
	out := map[string][]domain.FileVersion{}
	for rows.Next() {
		var relpath string
		var v domain.FileVersion
		var at string
		if err := rows.Scan(&relpath, &v.Ordinal, &v.FileID, &v.Size, &v.Timestamp, &v.Commit, &v.JobID, &v.AddedBy, &at); err != nil {
			return nil, fmt.Errorf("sqlite: versions of %s: %w", id, err)
		}
		if v.AddedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("sqlite: versions of %s: %w", id, err)
		}
		out[relpath] = append(out[relpath], v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: versions of %s: %w", id, err)
	}
	return out, nil
}

// ReviewedVersion returns the version of a file the reviewer last voted on.
func (s *Store) ReviewedVersion(ctx context.Context, id, relpath, reviewer string) (domain.ReviewedVersion, error) {
	rv := domain.ReviewedVersion{Reviewer: reviewer}
	var at string
	err := s.st.reviewedVersion.QueryRowContext(ctx, id, relpath, reviewer).Scan(&rv.FileID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return rv, fmt.Errorf("sqlite: version of %s/%s reviewed by %s: %w", id, relpath, reviewer, store.ErrNotFound)
	}
	if err == nil {
		rv.VotedAt, err = parseTime(at)
	}
	if err != nil {
		return rv, fmt.Errorf("sqlite: version of %s/%s reviewed by %s: %w", id, relpath, reviewer, err)
	}
	return rv, nil
}

// AddFileVersion records a new version of a request file after its
// latest, unless the latest has the same content.
func (t *tx) AddFileVersion(ctx context.Context, id, relpath string, v domain.FileVersion) (domain.FileVersion, error) {
	latest, err := scanVersion(t.stmt(ctx, t.st.latestVersion).QueryRowContext(ctx, id, relpath))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return v, fmt.Errorf("sqlite: add version of %s/%s: %w", id, relpath, err)
	case latest.FileID == v.FileID:
		return latest, nil
	}
	v.Ordinal = latest.Ordinal + 1
	_, err = t.stmt(ctx, t.st.insertVersion).ExecContext(ctx, id, relpath, v.Ordinal, v.FileID, v.Size, v.Timestamp,
		v.Commit, v.JobID, v.AddedBy, formatTime(v.AddedAt))
	if err != nil {
		return v, fmt.Errorf("sqlite: add version of %s/%s: %w", id, relpath, insertErr(err))
	}
	v.AddedAt = v.AddedAt.UTC().Truncate(time.Microsecond) // as stored
	return v, nil
}
