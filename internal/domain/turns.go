package domain

import "slices"

// VoteRef names one reviewer's vote on one file.
type VoteRef struct {
	Relpath  string
	Reviewer string
}

// EarlyReturnChanges is what an early return undoes: the votes cast this
// turn on output files, which become UNDECIDED when their reviewer had
// submitted a review and are deleted otherwise, and the comments written
// this turn. Votes of earlier turns stay.
func (r *Request) EarlyReturnChanges() (undecide, reset []VoteRef, comments []Comment) {
	for f := range r.outputs() {
		for _, name := range sortedReviewers(*f) {
			if f.Reviews[name].ReviewTurn != r.ReviewTurn {
				continue
			}
			ref := VoteRef{f.Relpath, name}
			if r.HasSubmittedReview(name) {
				undecide = append(undecide, ref)
			} else {
				reset = append(reset, ref)
			}
		}
	}
	for _, c := range r.Comments {
		if c.ReviewTurn == r.ReviewTurn {
			comments = append(comments, c)
		}
	}
	return undecide, reset, comments
}

// ResubmitChanges are the votes asking for changes on output files, which
// become UNDECIDED when the author resubmits a returned request, so that
// reviewers look again; approvals carry over.
func (r *Request) ResubmitChanges() []VoteRef {
	var out []VoteRef
	for f := range r.outputs() {
		for _, name := range sortedReviewers(*f) {
			if f.Reviews[name].Vote == VoteChangesRequested {
				out = append(out, VoteRef{f.Relpath, name})
			}
		}
	}
	return out
}

// GroupChangesToRequest lists the reviewer's output files in the group that
// have no vote yet or an UNDECIDED one: those a bulk "request changes"
// marks. Files already voted on are left alone.
func (r *Request) GroupChangesToRequest(reviewer, group string) (change []string, unchanged int) {
	for f := range r.groupFiles(group) {
		if f.FileType != FileOutput {
			continue
		}
		if rv, ok := f.Reviews[reviewer]; !ok || rv.Vote == VoteUndecided {
			change = append(change, f.Relpath)
		} else {
			unchanged++
		}
	}
	return change, unchanged
}

// GroupVotesOf lists the files of the group the reviewer has voted on.
func (r *Request) GroupVotesOf(reviewer, group string) []string {
	var out []string
	for f := range r.groupFiles(group) {
		if _, ok := f.Reviews[reviewer]; ok && f.FileType == FileOutput {
			out = append(out, f.Relpath)
		}
	}
	return out
}

func sortedReviewers(f RequestFile) []string {
	names := make([]string, 0, len(f.Reviews))
	for n := range f.Reviews {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
