package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

const (
	fileVersionsSQL = `
		SELECT ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at
		FROM file_versions WHERE request_id = $1 AND relpath = $2 ORDER BY ordinal`
	requestVersionsSQL = `
		SELECT relpath, ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at
		FROM file_versions WHERE request_id = $1 ORDER BY relpath, ordinal`
	latestVersionSQL = `
		SELECT ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at
		FROM file_versions WHERE request_id = $1 AND relpath = $2 ORDER BY ordinal DESC LIMIT 1`
	insertVersionSQL = `
		INSERT INTO file_versions (request_id, relpath, ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	reviewedVersionSQL = `
		SELECT file_id, voted_at FROM reviewed_versions WHERE request_id = $1 AND relpath = $2 AND reviewer = $3`
	putReviewedVersionSQL = `
		INSERT INTO reviewed_versions (request_id, relpath, reviewer, file_id, voted_at)
		SELECT request_id, relpath, $1, file_id, $2 FROM request_files WHERE request_id = $3 AND relpath = $4
		ON CONFLICT (request_id, relpath, reviewer) DO UPDATE SET
			file_id = excluded.file_id, voted_at = excluded.voted_at`
)

func scanVersion(sc interface{ Scan(...any) error }) (domain.FileVersion, error) {
	var v domain.FileVersion
	var ordinal int64
	err := sc.Scan(&ordinal, &v.FileID, &v.Size, &v.Timestamp, &v.Commit, &v.JobID, &v.AddedBy, &v.AddedAt)
	v.Ordinal = int(ordinal)
	v.AddedAt = v.AddedAt.UTC()
	return v, err
}

// FileVersions lists the versions of a request file, oldest first.
func (s *Store) FileVersions(ctx context.Context, id, relpath string) ([]domain.FileVersion, error) {
	rows, err := s.pool.Query(ctx, fileVersionsSQL, id, relpath)
	if err != nil {
		return nil, fmt.Errorf("postgres: versions of %s/%s: %w", id, relpath, classify(err))
	}
	defer rows.Close()
	out := []domain.FileVersion{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: versions of %s/%s: %w", id, relpath, classify(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: versions of %s/%s: %w", id, relpath, classify(err))
	}
	return out, nil
}

// RequestVersions lists the versions of every path of the request.
func (s *Store) RequestVersions(ctx context.Context, id string) (map[string][]domain.FileVersion, error) {
	rows, err := s.pool.Query(ctx, requestVersionsSQL, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: versions of %s: %w", id, classify(err))
	}
	defer rows.Close()
	out := map[string][]domain.FileVersion{}
	for rows.Next() {
		var relpath string
		var v domain.FileVersion
		var ordinal int64
		if err := rows.Scan(&relpath, &ordinal, &v.FileID, &v.Size, &v.Timestamp, &v.Commit, &v.JobID, &v.AddedBy, &v.AddedAt); err != nil {
			return nil, fmt.Errorf("postgres: versions of %s: %w", id, classify(err))
		}
		v.Ordinal, v.AddedAt = int(ordinal), v.AddedAt.UTC()
		out[relpath] = append(out[relpath], v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: versions of %s: %w", id, classify(err))
	}
	return out, nil
}

// ReviewedVersion returns the version of a file the reviewer last voted on.
func (s *Store) ReviewedVersion(ctx context.Context, id, relpath, reviewer string) (domain.ReviewedVersion, error) {
	rv := domain.ReviewedVersion{Reviewer: reviewer}
	err := s.pool.QueryRow(ctx, reviewedVersionSQL, id, relpath, reviewer).Scan(&rv.FileID, &rv.VotedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return rv, fmt.Errorf("postgres: version of %s/%s reviewed by %s: %w", id, relpath, reviewer, store.ErrNotFound)
	}
	if err != nil {
		return rv, fmt.Errorf("postgres: version of %s/%s reviewed by %s: %w", id, relpath, reviewer, classify(err))
	}
	rv.VotedAt = rv.VotedAt.UTC()
	return rv, nil
}

// AddFileVersion records a new version of a request file after its
// latest, unless the latest has the same content. The request's guard
// (its row lock) keeps two writers from numbering the same version.
func (t *tx) AddFileVersion(ctx context.Context, id, relpath string, v domain.FileVersion) (domain.FileVersion, error) {
	latest, err := scanVersion(t.tx.QueryRow(ctx, latestVersionSQL, id, relpath))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return v, fmt.Errorf("postgres: add version of %s/%s: %w", id, relpath, classify(err))
	case latest.FileID == v.FileID:
		return latest, nil
	}
	v.Ordinal = latest.Ordinal + 1
	v.AddedAt = v.AddedAt.UTC().Truncate(time.Microsecond) // as stored
	_, err = t.tx.Exec(ctx, insertVersionSQL, id, relpath, v.Ordinal, v.FileID, v.Size, v.Timestamp,
		v.Commit, v.JobID, v.AddedBy, v.AddedAt)
	if err != nil {
		return v, fmt.Errorf("postgres: add version of %s/%s: %w", id, relpath, classify(err))
	}
	return v, nil
}
