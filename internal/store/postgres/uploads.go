package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-go/airlock/internal/store"
)

// claimUploadSQL leases the next file due in one statement. The subquery
// walks the queue index (request_files_upload_queue) in order and locks
// the file it picks, skipping files another claim has locked at this
// moment; a file whose lease another claim has just committed fails the
// re-check of the WHERE clause under the lock and is passed over. So two
// uploaders, in any processes, never get the same file.
const claimUploadSQL = `
		UPDATE request_files SET upload_lease_owner = $1, upload_lease_until = $2, upload_next_at = $2
		WHERE id = (
			SELECT f.id FROM request_files f
			JOIN requests r ON r.id = f.request_id
			WHERE f.released_at IS NOT NULL AND NOT f.uploaded
				AND (f.upload_next_at IS NULL OR f.upload_next_at <= $3)
				AND (f.upload_lease_until IS NULL OR f.upload_lease_until <= $3)
				AND f.filetype = 'OUTPUT' AND r.status = 'APPROVED'
			ORDER BY f.upload_next_at NULLS FIRST, f.id
			LIMIT 1
			FOR UPDATE OF f SKIP LOCKED)
		RETURNING request_id, relpath`

// ClaimUpload leases the next file due for upload to owner.
func (s *Store) ClaimUpload(ctx context.Context, owner string, now, until time.Time) (store.UploadClaim, error) {
	var c store.UploadClaim
	err := retry(ctx, func() error {
		return s.pool.QueryRow(ctx, claimUploadSQL, owner, until, now).Scan(&c.RequestID, &c.Relpath)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return store.UploadClaim{}, store.ErrNotFound
	}
	if err != nil {
		return store.UploadClaim{}, fmt.Errorf("postgres: claim upload: %w", classify(err))
	}
	return c, nil
}

const renewUploadLeaseSQL = `
		UPDATE request_files SET upload_lease_until = $1, upload_next_at = $1
		WHERE request_id = $2 AND relpath = $3 AND upload_lease_owner = $4 AND NOT uploaded`

// RenewUploadLease extends owner's lease on a file to until.
func (s *Store) RenewUploadLease(ctx context.Context, id, relpath, owner string, until time.Time) error {
	var n int64
	err := retry(ctx, func() error {
		tag, err := s.pool.Exec(ctx, renewUploadLeaseSQL, until, id, relpath, owner)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: renew upload lease of %s/%s: %w", id, relpath, classify(err))
	}
	if n == 0 {
		return fmt.Errorf("postgres: renew upload lease of %s/%s: not held by %s: %w", id, relpath, owner, store.ErrNotFound)
	}
	return nil
}

const dropUploadLeaseSQL = `
		UPDATE request_files SET upload_lease_owner = NULL, upload_lease_until = NULL,
			upload_error = COALESCE($1, upload_error), upload_next_at = COALESCE($2, upload_next_at)
		WHERE request_id = $3 AND relpath = $4 AND upload_lease_owner = $5`

// DropUploadLease ends owner's lease on a file, recording how the attempt
// ended.
func (s *Store) DropUploadLease(ctx context.Context, id, relpath, owner string, end store.UploadEnd) error {
	var due *time.Time
	if !end.Due.IsZero() {
		due = &end.Due
	}
	err := retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, dropUploadLeaseSQL, nullString(end.Error), due, id, relpath, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: drop upload lease of %s/%s: %w", id, relpath, classify(err))
	}
	return nil
}
