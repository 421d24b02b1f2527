package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-go/airlock/internal/store"
)

// claimUploadSQL leases the next file due in one statement, under the
// write lock of an IMMEDIATE transaction, so two uploaders (threads or
// processes) never get the same file.
const claimUploadSQL = `
		UPDATE request_files SET upload_lease_owner = ?, upload_lease_until = ?, upload_next_at = ?
		WHERE id = (
			SELECT f.id FROM request_files f INDEXED BY request_files_upload_queue
			JOIN requests r ON r.id = f.request_id
			WHERE f.released_at IS NOT NULL AND f.uploaded = 0
				AND (f.upload_next_at IS NULL OR f.upload_next_at <= ?)
				AND (f.upload_lease_until IS NULL OR f.upload_lease_until <= ?)
				AND f.filetype = 'OUTPUT' AND r.status = 'APPROVED'
			ORDER BY f.upload_next_at, f.id
			LIMIT 1)
		RETURNING request_id, relpath`

// ClaimUpload leases the next file due for upload to owner.
func (s *Store) ClaimUpload(ctx context.Context, owner string, now, until time.Time) (store.UploadClaim, error) {
	var c store.UploadClaim
	err := s.Tx(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		row := t.stmt(ctx, s.st.claimUpload).QueryRowContext(ctx, owner, formatTime(until), formatTime(until), formatTime(now), formatTime(now))
		return row.Scan(&c.RequestID, &c.Relpath)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return store.UploadClaim{}, store.ErrNotFound
	}
	if err != nil {
		return store.UploadClaim{}, fmt.Errorf("sqlite: claim upload: %w", err)
	}
	return c, nil
}

const renewUploadLeaseSQL = `
		UPDATE request_files SET upload_lease_until = ?, upload_next_at = ?
		WHERE request_id = ? AND relpath = ? AND upload_lease_owner = ? AND uploaded = 0`

// RenewUploadLease extends owner's lease on a file to until.
func (s *Store) RenewUploadLease(ctx context.Context, id, relpath, owner string, until time.Time) error {
	err := s.Tx(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		return execOne(ctx, t.stmt(ctx, s.st.renewUploadLease), formatTime(until), formatTime(until), id, relpath, owner)
	})
	if err != nil {
		return fmt.Errorf("sqlite: renew upload lease of %s/%s: %w", id, relpath, err)
	}
	return nil
}

const dropUploadLeaseSQL = `
		UPDATE request_files SET upload_lease_owner = NULL, upload_lease_until = NULL,
			upload_error = COALESCE(?, upload_error), upload_next_at = COALESCE(?, upload_next_at)
		WHERE request_id = ? AND relpath = ? AND upload_lease_owner = ?`

// DropUploadLease ends owner's lease on a file, recording how the attempt
// ended.
func (s *Store) DropUploadLease(ctx context.Context, id, relpath, owner string, end store.UploadEnd) error {
	var due any
	if !end.Due.IsZero() {
		due = formatTime(end.Due)
	}
	err := s.Tx(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		_, err := t.stmt(ctx, s.st.dropUploadLease).ExecContext(ctx, nullString(end.Error), due, id, relpath, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: drop upload lease of %s/%s: %w", id, relpath, err)
	}
	return nil
}
