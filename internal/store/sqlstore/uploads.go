package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/airlock-go/airlock/internal/store"
)

const (
	renewUploadLeaseSQL = `
		UPDATE request_files SET upload_lease_until = ?, upload_next_at = ?
		WHERE request_id = ? AND relpath = ? AND upload_lease_owner = ? AND uploaded = FALSE`
	dropUploadLeaseSQL = `
		UPDATE request_files SET upload_lease_owner = NULL, upload_lease_until = NULL,
			upload_error = COALESCE(?, upload_error), upload_next_at = COALESCE(?, upload_next_at)
		WHERE request_id = ? AND relpath = ? AND upload_lease_owner = ?`
)

// ClaimUpload leases the next file due for upload to owner, in one
// statement (the dialect's ClaimUpload), so that two uploaders, in any
// processes, never get the same file.
func (s *Store) ClaimUpload(ctx context.Context, owner string, now, until time.Time) (store.UploadClaim, error) {
	var c store.UploadClaim
	err := s.writeOne(ctx, func(q q) error {
		return q.queryRow(ctx, s.d.ClaimUpload, owner, until, until, now, now).Scan(&c.RequestID, &c.Relpath)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return store.UploadClaim{}, store.ErrNotFound
	}
	if err != nil {
		return store.UploadClaim{}, s.fail(err, "claim upload")
	}
	return c, nil
}

// RenewUploadLease extends owner's lease on a file to until.
func (s *Store) RenewUploadLease(ctx context.Context, id, relpath, owner string, until time.Time) error {
	err := s.writeOne(ctx, func(q q) error {
		return q.execOne(ctx, renewUploadLeaseSQL, until, until, id, relpath, owner)
	})
	if errors.Is(err, errNoRow) {
		return s.fail(store.ErrNotFound, "renew upload lease of %s/%s: not held by %s", id, relpath, owner)
	}
	return s.fail(err, "renew upload lease of %s/%s", id, relpath)
}

// DropUploadLease ends owner's lease on a file, recording how it ended.
func (s *Store) DropUploadLease(ctx context.Context, id, relpath, owner string, end store.UploadEnd) error {
	var due *time.Time
	if !end.Due.IsZero() {
		due = &end.Due
	}
	// The request's version moves with the file's error and next attempt,
	// which its pages and documents show: a cached copy of the request is
	// then read again. In one transaction, request before file (the lock
	// order of all upload bookkeeping); a lease not held changes nothing.
	err := s.Tx(ctx, func(t store.Tx) error {
		tx := t.(*tx)
		if err := tx.touchRequest(ctx, id); err != nil {
			return err
		}
		if err := tx.execOne(ctx, dropUploadLeaseSQL, nullString(end.Error), due, id, relpath, owner); err != nil {
			return err // errNoRow: not held by owner, rolled back
		}
		return nil
	})
	if errors.Is(err, errNoRow) {
		return nil // another uploader holds it now, or the request is gone
	}
	return s.fail(err, "drop upload lease of %s/%s", id, relpath)
}
