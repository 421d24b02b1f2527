package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// Submit sends the request for review, or back for review after a return.
// On resubmission every vote asking for changes becomes UNDECIDED, so that
// reviewers look again; approvals carry over.
func (s *Service) Submit(ctx context.Context, u domain.User, id string) (r *domain.Request, err error) {
	ctx, span := s.tracer.Start(ctx, "submit", id, "")
	defer func() { endSpan(span, r, err) }()
	return s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckSubmit(u); err != nil {
			return nil, err
		}
		undecide := r.ResubmitChanges()
		return func(c *change) error {
			if c.r.Status == domain.StatusReturned {
				for _, v := range undecide {
					if err := c.undecide(v); err != nil {
						return err
					}
				}
			}
			if err := c.setStatus(domain.StatusSubmitted); err != nil {
				return err
			}
			return c.newTurn()
		}, nil
	})
}

// undecide turns a vote into UNDECIDED, stamped with the current turn.
func (c *change) undecide(v domain.VoteRef) error {
	f, _ := c.r.File(v.Relpath)
	rv := f.Reviews[v.Reviewer]
	rv.Vote, rv.UpdatedAt, rv.ReviewTurn = domain.VoteUndecided, c.now, c.r.ReviewTurn
	if err := c.tx.PutReview(c.ctx, c.r.ID, v.Relpath, rv); err != nil {
		return fmt.Errorf("set %s's vote on %s undecided: %w", v.Reviewer, v.Relpath, err)
	}
	return c.audit(domain.EventRequestFileUndecided, v.Relpath, map[string]string{"group": f.Group, "reviewer": v.Reviewer})
}

// Return sends the request back to its author. Before two reviews are in
// it is an early return, which undoes the turn: its votes are reset (or
// made UNDECIDED for reviewers who had submitted), its comments deleted
// and its audit events hidden.
func (s *Service) Return(ctx context.Context, u domain.User, id string) (*domain.Request, error) {
	return s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckReturn(u); err != nil {
			return nil, err
		}
		early := r.IsEarlyReturn()
		undecide, reset, comments := r.EarlyReturnChanges()
		return func(c *change) error {
			if early {
				for _, v := range undecide {
					if err := c.undecide(v); err != nil {
						return err
					}
				}
				for _, v := range reset {
					f, _ := c.r.File(v.Relpath)
					if err := c.deleteVote(*f, v.Reviewer); err != nil {
						return err
					}
				}
				for _, cm := range comments {
					if err := c.tx.DeleteComment(c.ctx, c.r.ID, cm.ID); err != nil {
						return fmt.Errorf("delete comment %d: %w", cm.ID, err)
					}
				}
				// The turn's events so far, this return's resets among
				// them, are hidden with the turn.
				if err := c.flush(); err != nil {
					return err
				}
				if err := c.tx.HideTurnEvents(c.ctx, c.r.ID, c.r.ReviewTurn); err != nil {
					return fmt.Errorf("hide turn %d: %w", c.r.ReviewTurn, err)
				}
				if err := c.audit(domain.EventRequestEarlyReturn, "", nil); err != nil {
					return err
				}
			}
			if err := c.setStatus(domain.StatusReturned); err != nil {
				return err
			}
			return c.newTurn()
		}, nil
	})
}

// Reject refuses the request for good.
func (s *Service) Reject(ctx context.Context, u domain.User, id string) (*domain.Request, error) {
	return s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckReject(u); err != nil {
			return nil, err
		}
		return func(c *change) error { return c.setStatus(domain.StatusRejected) }, nil
	})
}

// Withdraw abandons the request for good; its author.
func (s *Service) Withdraw(ctx context.Context, u domain.User, id string) (*domain.Request, error) {
	return s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckWithdraw(u); err != nil {
			return nil, err
		}
		return func(c *change) error { return c.setStatus(domain.StatusWithdrawn) }, nil
	})
}

// Release marks every output file released and moves the request to
// APPROVED, from which the uploader takes it to RELEASED. Re-running it on
// an APPROVED request marks any file left unmarked.
func (s *Service) Release(ctx context.Context, u domain.User, id string) (r *domain.Request, err error) {
	ctx, span := s.tracer.Start(ctx, "release", id, "")
	defer func() { endSpan(span, r, err) }()
	return s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckRelease(u); err != nil {
			return nil, err
		}
		outputs := r.OutputFiles()
		for _, f := range outputs {
			if !domain.AllowedFileType(f.Relpath) {
				return nil, domain.Errorf(domain.ErrPolicy, "%s is not a file type that can be released", f.Relpath)
			}
		}
		// The release is created outside first (job-server, or the release
		// folder); then the files are marked released; then the status
		// changes: a failure at any step leaves a state a retry completes.
		if s.releaser != nil {
			if err := s.releaser.CreateRelease(ctx, r, outputs, u.Username); err != nil {
				return nil, err
			}
		}
		return func(c *change) error {
			for _, f := range outputs {
				if f.ReleasedAt != nil {
					continue
				}
				if err := c.tx.SetFileReleased(c.ctx, c.r.ID, f.Relpath, c.now, u.Username); err != nil {
					return fmt.Errorf("release %s: %w", f.Relpath, err)
				}
				if err := c.audit(domain.EventRequestFileRelease, f.Relpath, map[string]string{"group": f.Group}); err != nil {
					return err
				}
			}
			if c.r.Status == domain.StatusApproved {
				return nil
			}
			return c.setStatus(domain.StatusApproved, domain.ApprovedUpdate(len(outputs)))
		}, nil
	})
}

// uploadFile loads a released output file of an APPROVED request (and
// the request's header) for the uploader, without the rest of the request.
func (s *Service) uploadFile(ctx context.Context, id, relpath string) (*domain.Request, domain.RequestFile, error) {
	r, f, err := s.store.GetRequestFile(ctx, id, relpath)
	if errors.Is(err, store.ErrNotFound) {
		return nil, f, domain.Errorf(domain.ErrNotFound, "%s is not a file of request %s", relpath, id)
	}
	if err != nil {
		return nil, f, fmt.Errorf("service: load %s of %s: %w", relpath, id, err)
	}
	if r.Status != domain.StatusApproved {
		return nil, f, domain.Errorf(domain.ErrInvalidTransition, "request %s is %s, not APPROVED", id, r.Status)
	}
	if f.FileType != domain.FileOutput || f.ReleasedAt == nil {
		return nil, f, domain.Errorf(domain.ErrNotFound, "%s is not a released file of request %s", relpath, id)
	}
	return r, f, nil
}

// uploadTx runs the uploader's bookkeeping of one file in a transaction
// guarded by the file's own state (released, not yet uploaded) rather than
// the request's version: uploads of a request's files go on in parallel
// and change nothing a person decides on.
func (s *Service) uploadTx(ctx context.Context, r *domain.Request, fn func(c *change) error) error {
	c := &change{ctx: ctx, r: r, user: domain.SystemUser().Username, now: s.clock()}
	err := s.store.Tx(ctx, func(tx store.Tx) error {
		c.tx, c.events = tx, nil
		if err := fn(c); err != nil {
			return err
		}
		return c.flush()
	})
	if errors.Is(err, store.ErrNotFound) {
		return domain.Errorf(domain.ErrInvalidTransition, "the file was uploaded or changed meanwhile")
	}
	return wrapStoreErr("service: upload bookkeeping", err)
}

// RecordUploadAttempt counts an attempt to upload a released file; the
// uploader calls it before each try. It returns the request's header and
// the file, with the attempt counted and, in UploadNextAt, when the next
// attempt is due should this one fail: after the retry delay, doubled for
// each earlier failure, up to an hour (the uploader passes it on to
// DropUploadLease).
func (s *Service) RecordUploadAttempt(ctx context.Context, id, relpath string, retryDelay time.Duration) (*domain.Request, domain.RequestFile, error) {
	r, f, err := s.uploadFile(ctx, id, relpath)
	if err != nil {
		return nil, f, err
	}
	if f.Uploaded {
		return nil, f, domain.Errorf(domain.ErrPolicy, "%s of %s is uploaded already", relpath, id)
	}
	var now time.Time
	err = s.uploadTx(ctx, r, func(c *change) error {
		now = c.now
		return c.tx.RecordUploadAttempt(c.ctx, id, relpath, c.now)
	})
	if err != nil {
		return nil, f, err
	}
	f.UploadAttempts++
	next := domain.NextUploadAttempt(now, f.UploadAttempts, retryDelay)
	f.UploadAttemptedAt, f.UploadNextAt = &now, &next
	return r, f, nil
}

// RecordUpload marks a released file uploaded, in the name of whoever
// released it. Recording an upload twice changes nothing.
func (s *Service) RecordUpload(ctx context.Context, id, relpath string) error {
	r, f, err := s.uploadFile(ctx, id, relpath)
	if err != nil || f.Uploaded {
		return err
	}
	return s.uploadTx(ctx, r, func(c *change) error {
		if err := c.tx.SetFileUploaded(c.ctx, id, relpath, c.now); err != nil {
			return err
		}
		return c.auditAs(f.ReleasedBy, domain.EventRequestFileUpload, relpath, map[string]string{"group": f.Group})
	})
}

// ClaimUpload leases to owner the next released file due for upload,
// for lease; ok false when nothing is due.
func (s *Service) ClaimUpload(ctx context.Context, owner string, lease time.Duration) (domain.UploadClaim, bool, error) {
	now := s.clock()
	c, err := s.store.ClaimUpload(ctx, owner, now, now.Add(lease))
	if errors.Is(err, store.ErrNotFound) {
		return domain.UploadClaim{}, false, nil
	}
	if err != nil {
		return domain.UploadClaim{}, false, fmt.Errorf("service: claim upload: %w", err)
	}
	return c, true, nil
}

// ErrUploadLeaseLost is RenewUploadLease's error when owner no longer
// holds the file: another uploader took it over once the lease ran out,
// or it is uploaded. The uploader must stop, and record nothing.
var ErrUploadLeaseLost = errors.New("the upload lease is no longer ours")

// RenewUploadLease extends owner's lease on a claimed file to lease from
// now: the heartbeat of an upload in progress. ErrUploadLeaseLost when
// the file is no longer owner's.
func (s *Service) RenewUploadLease(ctx context.Context, c domain.UploadClaim, owner string, lease time.Duration) error {
	err := s.store.RenewUploadLease(ctx, c.RequestID, c.Relpath, owner, s.clock().Add(lease))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s of %s: %w", c.Relpath, c.RequestID, ErrUploadLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("service: renew upload lease: %w", err)
	}
	return nil
}

// DropUploadLease gives up owner's lease on a file after a failed
// attempt, keeping why it failed; the next attempt is due at next (its
// back-off, from RecordUploadAttempt; zero: when the lease would have
// ended).
func (s *Service) DropUploadLease(ctx context.Context, c domain.UploadClaim, owner string, failure error, next time.Time) error {
	end := store.UploadEnd{Error: domain.UploadErrorText(failure), Due: next}
	if err := s.store.DropUploadLease(ctx, c.RequestID, c.Relpath, owner, end); err != nil {
		return fmt.Errorf("service: drop upload lease: %w", err)
	}
	return nil
}

// ReturnUpload gives up owner's lease on a file whose attempt was cut
// short (the uploader is stopping): not a failure, so the file is due
// again at once, for any uploader.
func (s *Service) ReturnUpload(ctx context.Context, c domain.UploadClaim, owner string) error {
	if err := s.store.DropUploadLease(ctx, c.RequestID, c.Relpath, owner, store.UploadEnd{Due: s.clock()}); err != nil {
		return fmt.Errorf("service: return upload: %w", err)
	}
	return nil
}

// FinishReleases moves to RELEASED every APPROVED request whose released
// files are all uploaded, and returns how many it moved.
func (s *Service) FinishReleases(ctx context.Context) (int, error) {
	approved, err := s.store.ListRequests(ctx, store.RequestFilter{Statuses: []domain.Status{domain.StatusApproved}})
	if err != nil {
		return 0, fmt.Errorf("service: finish releases: %w", err)
	}
	n := 0
	for _, h := range approved {
		r, err := s.request(ctx, h.ID)
		if err != nil {
			return n, err
		}
		if !allUploaded(r) {
			continue
		}
		if _, err := s.MarkReleased(ctx, r.ID); err != nil {
			if errors.Is(err, domain.ErrInvalidTransition) {
				continue // another uploader got there first
			}
			return n, err
		}
		n++
	}
	return n, nil
}

func allUploaded(r *domain.Request) bool {
	some := false
	for _, f := range r.OutputFiles() {
		if f.ReleasedAt == nil {
			continue
		}
		if !f.Uploaded {
			return false
		}
		some = true
	}
	return some
}

// MarkReleased moves an APPROVED request whose released files are all
// uploaded to RELEASED, in the name of the checker who released the most
// recently uploaded file.
func (s *Service) MarkReleased(ctx context.Context, id string) (*domain.Request, error) {
	return s.update(ctx, domain.SystemUser(), id, func(r *domain.Request) (func(*change) error, error) {
		if r.Status != domain.StatusApproved {
			return nil, domain.Errorf(domain.ErrInvalidTransition, "cannot change status from %s to %s", r.Status, domain.StatusReleased)
		}
		var by string
		var last int64
		for _, f := range r.OutputFiles() {
			if f.ReleasedAt == nil {
				continue
			}
			if !f.Uploaded {
				return nil, domain.Errorf(domain.ErrPolicy, "%s has not been uploaded yet", f.Relpath)
			}
			if f.UploadedAt != nil && (by == "" || f.UploadedAt.UnixMicro() >= last) {
				by, last = f.ReleasedBy, f.UploadedAt.UnixMicro()
			}
		}
		if by == "" {
			return nil, domain.Errorf(domain.ErrPolicy, "request %s has no uploaded files", id)
		}
		return func(c *change) error {
			c.user = by
			return c.setStatus(domain.StatusReleased)
		}, nil
	})
}

// AdminChangeStatus is the operators' escape hatch for stuck requests: it
// sets REJECTED or WITHDRAWN directly, bypassing the state machine and
// permissions, in the name of a user known to airlock, and audits it as an
// automated action.
func (s *Service) AdminChangeStatus(ctx context.Context, id, username string, to domain.Status) (*domain.Request, error) {
	if to != domain.StatusRejected && to != domain.StatusWithdrawn {
		return nil, domain.Errorf(domain.ErrInvalidInput, "status must be REJECTED or WITHDRAWN, not %s", to)
	}
	if _, err := s.User(ctx, username); err != nil {
		return nil, err
	}
	load := func(ctx context.Context) (*domain.Request, error) { return s.request(ctx, id) }
	return s.run(ctx, username, load, func(r *domain.Request) (func(*change) error, error) {
		if r.Status == to {
			return nil, domain.Errorf(domain.ErrPolicy, "request %s is already %s", id, to)
		}
		return func(c *change) error { return c.setStatus(to) }, nil
	}, map[string]string{"automated_action": "true"})
}
