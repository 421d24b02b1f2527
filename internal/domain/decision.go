package domain

import "slices"

// DecisionOver combines the votes on f of the given reviewers: fewer than
// two votes is INCOMPLETE; two or more approvals is APPROVED (so a third
// checker can break a conflict); differing votes are CONFLICTED; otherwise
// every vote asks for changes. UNDECIDED counts as a vote.
func DecisionOver(f RequestFile, reviewers []string) Decision {
	var votes []Vote
	for _, name := range reviewers {
		if rv, ok := f.Reviews[name]; ok {
			votes = append(votes, rv.Vote)
		}
	}
	if len(votes) < 2 {
		return DecisionIncomplete
	}
	approved := 0
	for _, v := range votes {
		if v == VoteApproved {
			approved++
		}
	}
	if approved >= 2 {
		return DecisionApproved
	}
	for _, v := range votes[1:] {
		if v != votes[0] {
			return DecisionConflicted
		}
	}
	return DecisionChangesRequested
}

// AllFilesApproved reports whether every output file is approved by the
// reviews submitted this turn (true when there are no output files).
func (r *Request) AllFilesApproved() bool {
	reviewers := r.SubmittedReviewers()
	for f := range r.outputs() {
		if DecisionOver(*f, reviewers) != DecisionApproved {
			return false
		}
	}
	return true
}

// DecisionFor is the decision on f that viewer u may see. While reviews
// are independent nobody sees a combined result; while consolidating only
// those who can review the request do; while the author edits, everyone
// sees the outcome of the previous turn. Authors and non-checkers see a
// conflict as changes requested.
func (r *Request) DecisionFor(f RequestFile, u User) Decision {
	var d Decision
	switch r.Status.Phase() {
	case PhaseIndependent:
		d = DecisionIncomplete
	case PhaseConsolidating:
		if r.CanReview(u) {
			d = DecisionOver(f, r.SubmittedReviewers())
		} else {
			d = DecisionIncomplete
		}
	case PhaseComplete:
		d = DecisionOver(f, r.SubmittedReviewers())
	case PhaseAuthor:
		d = DecisionOver(f, r.TurnReviewers)
	}
	if d == DecisionConflicted && (u.Username == r.Author || !u.IsOutputChecker()) {
		d = DecisionChangesRequested
	}
	return d
}

// VotedCount counts the output files the reviewer has approved or asked
// changes of (an UNDECIDED vote does not count).
func (r *Request) VotedCount(reviewer string) int {
	n := 0
	for f := range r.outputs() {
		if rv, ok := f.Reviews[reviewer]; ok && rv.Vote != VoteUndecided {
			n++
		}
	}
	return n
}

// GroupsMissingPublicComment lists the groups that need a public comment
// from this turn before the request can move on: in REVIEWED, before a
// checker returns it; in RETURNED (after a full review), before the author
// resubmits. A group needs one when any of its files was not approved, or
// when an output file in it has no decision yet (added, updated, moved or
// retyped since the review).
func (r *Request) GroupsMissingPublicComment() []string {
	if r.AllFilesApproved() {
		return nil
	}
	var reviewers []string
	switch r.Status {
	case StatusReturned:
		if len(r.TurnReviewers) < 2 {
			return nil
		}
		reviewers = r.TurnReviewers
	case StatusReviewed:
		reviewers = r.SubmittedReviewers()
	default:
		return nil
	}
	var out []string
	for _, g := range r.Groups {
		if r.hasPublicCommentThisTurn(g.Name) {
			continue
		}
		for f := range r.groupFiles(g.Name) {
			d := DecisionOver(*f, reviewers)
			if d == DecisionChangesRequested || d == DecisionConflicted ||
				(f.FileType == FileOutput && d == DecisionIncomplete) {
				out = append(out, g.Name)
				break
			}
		}
	}
	return out
}

func (r *Request) hasPublicCommentThisTurn(group string) bool {
	return slices.ContainsFunc(r.GroupComments(group), func(c Comment) bool {
		return c.Visibility == VisibilityPublic && c.ReviewTurn == r.ReviewTurn
	})
}
