package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

const (
	versionColumns  = `ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at`
	fileVersionsSQL = `
		SELECT ` + versionColumns + `
		FROM file_versions WHERE request_id = ? AND relpath = ? ORDER BY ordinal`
	requestVersionsSQL = `
		SELECT relpath, ` + versionColumns + `
		FROM file_versions WHERE request_id = ? ORDER BY relpath, ordinal`
	latestVersionSQL = `
		SELECT ` + versionColumns + `
		FROM file_versions WHERE request_id = ? AND relpath = ? ORDER BY ordinal DESC LIMIT 1`
	insertVersionSQL = `
		INSERT INTO file_versions (request_id, relpath, ` + versionColumns + `)
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
	err := sc.Scan(&v.Ordinal, &v.FileID, &v.Size, &v.Timestamp, &v.Commit, &v.JobID, &v.AddedBy, timeCol{&v.AddedAt})
	return v, err
}

// FileVersions lists the versions of a request file, oldest first.
func (s *Store) FileVersions(ctx context.Context, id, relpath string) ([]domain.FileVersion, error) {
	out := []domain.FileVersion{}
	err := q{s: s}.each(ctx, func(rows *sql.Rows) error {
		v, err := scanVersion(rows)
		out = append(out, v)
		return err
	}, fileVersionsSQL, id, relpath)
	if err != nil {
		return nil, s.fail(err, "versions of %s/%s", id, relpath)
	}
	return out, nil
}

// RequestVersions lists the versions of every path of the request.
func (s *Store) RequestVersions(ctx context.Context, id string) (map[string][]domain.FileVersion, error) {
	out := map[string][]domain.FileVersion{}
	err := q{s: s}.each(ctx, func(rows *sql.Rows) error {
		var relpath string
		var v domain.FileVersion
		err := rows.Scan(&relpath, &v.Ordinal, &v.FileID, &v.Size, &v.Timestamp, &v.Commit, &v.JobID, &v.AddedBy, timeCol{&v.AddedAt})
		out[relpath] = append(out[relpath], v)
		return err
	}, requestVersionsSQL, id)
	if err != nil {
		return nil, s.fail(err, "versions of %s", id)
	}
	return out, nil
}

// ReviewedVersion returns the version of a file the reviewer last voted on.
func (s *Store) ReviewedVersion(ctx context.Context, id, relpath, reviewer string) (domain.ReviewedVersion, error) {
	rv := domain.ReviewedVersion{Reviewer: reviewer}
	err := q{s: s}.queryRow(ctx, reviewedVersionSQL, id, relpath, reviewer).Scan(&rv.FileID, timeCol{&rv.VotedAt})
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return rv, s.fail(err, "version of %s/%s reviewed by %s", id, relpath, reviewer)
	}
	return rv, nil
}

// AddFileVersion records a new version of a request file after its
// latest, unless the latest has the same content. The request's guard
// keeps two writers from numbering the same version.
func (t *tx) AddFileVersion(ctx context.Context, id, relpath string, v domain.FileVersion) (domain.FileVersion, error) {
	latest, err := scanVersion(t.queryRow(ctx, latestVersionSQL, id, relpath))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return v, t.fail(err, "add version of %s/%s", id, relpath)
	case latest.FileID == v.FileID:
		return latest, nil
	}
	v.Ordinal = latest.Ordinal + 1
	v.AddedAt = v.AddedAt.UTC().Truncate(time.Microsecond) // as stored
	_, err = t.exec(ctx, insertVersionSQL, id, relpath, v.Ordinal, v.FileID, v.Size, v.Timestamp,
		v.Commit, v.JobID, v.AddedBy, v.AddedAt)
	if err != nil {
		return v, t.fail(err, "add version of %s/%s", id, relpath)
	}
	return v, nil
}
