package service

import (
	"context"
	"fmt"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// Vote records an output checker's vote on an output file. Checkers may
// change their vote at any time while the request is under review, even
// after submitting their review. It returns the request's header and
// groups with the voted file only (store.Store.GetRequestPart), as the
// vote left them.
func (s *Service) Vote(ctx context.Context, u domain.User, id, relpath string, vote domain.Vote) (r *domain.Request, err error) {
	ctx, span := s.tracer.Start(ctx, "vote", id, "")
	defer func() { endSpan(span, r, err) }()
	if vote != domain.VoteApproved && vote != domain.VoteChangesRequested {
		return nil, domain.Errorf(domain.ErrInvalidInput, "The vote must be APPROVED or CHANGES_REQUESTED.")
	}
	// The rule needs the request's header and the one file: a vote on a
	// file of a big request reads only that file.
	return s.updatePart(ctx, u, id, store.RequestPart{Paths: []string{relpath}}, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckVote(u, relpath); err != nil {
			return nil, err
		}
		return func(c *change) error {
			f, _ := c.r.File(relpath)
			c.applied = true
			return c.putVote(*f, u.Username, vote)
		}, nil
	})
}

func (c *change) putVote(f domain.RequestFile, reviewer string, vote domain.Vote) error {
	rv := domain.Review{Reviewer: reviewer, Vote: vote, CreatedAt: c.now, UpdatedAt: c.now, ReviewTurn: c.r.ReviewTurn}
	if err := c.tx.PutReview(c.ctx, c.r.ID, f.Relpath, rv); err != nil {
		return fmt.Errorf("vote on %s: %w", f.Relpath, err)
	}
	if mf, ok := c.r.File(f.Relpath); ok {
		// As the store does: a changed vote keeps its first CreatedAt.
		if prev, ok := mf.Reviews[reviewer]; ok {
			rv.CreatedAt = prev.CreatedAt
		}
		mf.Reviews[reviewer] = rv
	}
	event := domain.EventRequestFileApprove
	if vote == domain.VoteChangesRequested {
		event = domain.EventRequestFileRequestChanges
	}
	return c.audit(event, f.Relpath, map[string]string{"group": f.Group})
}

// ResetVote takes back the user's vote on a file, before they submit
// their review. Like Vote, it reads and returns only the one file.
func (s *Service) ResetVote(ctx context.Context, u domain.User, id, relpath string) (*domain.Request, error) {
	return s.updatePart(ctx, u, id, store.RequestPart{Paths: []string{relpath}}, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckResetVote(u, relpath); err != nil {
			return nil, err
		}
		return func(c *change) error {
			f, _ := c.r.File(relpath)
			c.applied = true
			return c.deleteVote(*f, u.Username)
		}, nil
	})
}

func (c *change) deleteVote(f domain.RequestFile, reviewer string) error {
	if err := c.tx.DeleteReview(c.ctx, c.r.ID, f.Relpath, reviewer); err != nil {
		return fmt.Errorf("reset vote on %s: %w", f.Relpath, err)
	}
	if mf, ok := c.r.File(f.Relpath); ok {
		delete(mf.Reviews, reviewer)
	}
	return c.audit(domain.EventRequestFileResetReview, f.Relpath, map[string]string{"group": f.Group})
}

// BulkResult counts what a group-wide action did.
type BulkResult struct {
	Changed   int // files changed (their vote, their properties)
	Unchanged int // files left alone (already voted on; already so)
}

// RequestChangesOnGroup asks for changes on every output file of the group
// the reviewer has not voted on yet (or whose vote is UNDECIDED); files
// already voted on are left alone. Only before the reviewer submits their
// review (domain's CheckGroupVotes).
func (s *Service) RequestChangesOnGroup(ctx context.Context, u domain.User, id, group string) (*domain.Request, BulkResult, error) {
	var res BulkResult
	r, err := s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckGroupVotes(u, group); err != nil {
			return nil, err
		}
		paths, unchanged := r.GroupChangesToRequest(u.Username, group)
		res = BulkResult{Changed: len(paths), Unchanged: unchanged}
		return func(c *change) error {
			for _, p := range paths {
				f, _ := c.r.File(p)
				if err := c.putVote(*f, u.Username, domain.VoteChangesRequested); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
	return r, res, err
}

// ResetVotesOnGroup takes back all the reviewer's votes on the group's
// files, before they submit their review.
func (s *Service) ResetVotesOnGroup(ctx context.Context, u domain.User, id, group string) (*domain.Request, BulkResult, error) {
	var res BulkResult
	r, err := s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckGroupVotes(u, group); err != nil {
			return nil, err
		}
		paths := r.GroupVotesOf(u.Username, group)
		res = BulkResult{Changed: len(paths), Unchanged: len(r.GroupFiles(group)) - len(paths)}
		return func(c *change) error {
			for _, p := range paths {
				f, _ := c.r.File(p)
				if err := c.deleteVote(*f, u.Username); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
	return r, res, err
}

// SubmitReview submits the reviewer's review for this turn: the first
// makes the request PARTIALLY_REVIEWED, the second REVIEWED; a third is
// recorded without changing the status.
func (s *Service) SubmitReview(ctx context.Context, u domain.User, id string) (r *domain.Request, err error) {
	ctx, span := s.tracer.Start(ctx, "submit_review", id, "")
	defer func() { endSpan(span, r, err) }()
	return s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckSubmitReview(u); err != nil {
			return nil, err
		}
		n := len(r.SubmittedReviews) + 1
		return func(c *change) error {
			if err := c.tx.AddSubmittedReview(c.ctx, c.r.ID, u.Username, c.r.ReviewTurn, c.now); err != nil {
				return fmt.Errorf("submit review: %w", err)
			}
			switch {
			case n == 1 && c.r.Status == domain.StatusSubmitted:
				return c.setStatus(domain.StatusPartiallyReviewed)
			case n >= 2 && c.r.Status == domain.StatusPartiallyReviewed:
				return c.setStatus(domain.StatusReviewed)
			case n >= 2 && c.r.Status == domain.StatusSubmitted:
				// Left in SUBMITTED by an administrator's intervention:
				// catch up through both steps.
				if err := c.setStatus(domain.StatusPartiallyReviewed); err != nil {
					return err
				}
				return c.setStatus(domain.StatusReviewed)
			}
			return c.audit(domain.EventRequestReview, "", nil)
		}, nil
	})
}
