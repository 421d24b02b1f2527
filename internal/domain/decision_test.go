package domain

import (
	"slices"
	"testing"
	"time"
)

func votes(vs map[string]Vote) map[string]Review {
	out := map[string]Review{}
	for name, v := range vs {
		out[name] = Review{Reviewer: name, Vote: v, ReviewTurn: 1}
	}
	return out
}

const (
	A  = VoteApproved
	CR = VoteChangesRequested
	U  = VoteUndecided
)

func TestDecisionTable(t *testing.T) {
	tests := []struct {
		name      string
		votes     map[string]Vote
		reviewers []string
		want      Decision
	}{
		{"no votes", nil, []string{"a", "b"}, DecisionIncomplete},
		{"one approval", map[string]Vote{"a": A}, []string{"a", "b"}, DecisionIncomplete},
		{"two approvals", map[string]Vote{"a": A, "b": A}, []string{"a", "b"}, DecisionApproved},
		{"two changes", map[string]Vote{"a": CR, "b": CR}, []string{"a", "b"}, DecisionChangesRequested},
		{"split", map[string]Vote{"a": A, "b": CR}, []string{"a", "b"}, DecisionConflicted},
		{"third approval breaks a conflict", map[string]Vote{"a": A, "b": CR, "c": A}, []string{"a", "b", "c"}, DecisionApproved},
		{"third change keeps a conflict", map[string]Vote{"a": A, "b": CR, "c": CR}, []string{"a", "b", "c"}, DecisionConflicted},
		{"votes of non-reviewers ignored", map[string]Vote{"a": A, "x": A}, []string{"a", "b"}, DecisionIncomplete},
		{"undecided counts as a vote", map[string]Vote{"a": U, "b": U}, []string{"a", "b"}, DecisionChangesRequested},
		{"undecided and approval conflict", map[string]Vote{"a": U, "b": A}, []string{"a", "b"}, DecisionConflicted},
		{"no reviewers", map[string]Vote{"a": A, "b": A}, nil, DecisionIncomplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := RequestFile{Relpath: "f.csv", FileType: FileOutput, Reviews: votes(tt.votes)}
			if got := DecisionOver(f, tt.reviewers); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// requestWith builds a request in a status whose one output file has the
// given votes, submitted (this turn, or last turn when the author edits)
// by a and b.
func requestWith(status Status, vs map[string]Vote) *Request {
	r := &Request{
		ID: "r", Workspace: "ws", Author: "author", Status: status, ReviewTurn: 1,
		SubmittedReviews: map[string]time.Time{},
		Groups:           []Group{{Name: "g", Context: "c", Controls: "c"}},
		Files:            []RequestFile{{Relpath: "f.csv", Group: "g", FileType: FileOutput, Reviews: votes(vs)}},
	}
	if status.IsEditing() {
		r.ReviewTurn = 2
		r.TurnReviewers = []string{"a", "b"}
	} else {
		r.SubmittedReviews = map[string]time.Time{"a": {}, "b": {}}
	}
	return r
}

func TestDecisionShownToEachViewer(t *testing.T) {
	checker := User{Username: "c", OutputChecker: true}
	author := User{Username: "author", Workspaces: map[string]WorkspaceInfo{"ws": active()}}
	colleague := User{Username: "colleague", Workspaces: map[string]WorkspaceInfo{"ws": active()}}
	split := map[string]Vote{"a": A, "b": CR}
	tests := []struct {
		status Status
		viewer User
		want   Decision
	}{
		{StatusSubmitted, checker, DecisionIncomplete},
		{StatusPartiallyReviewed, checker, DecisionIncomplete},
		{StatusReviewed, checker, DecisionConflicted},
		{StatusReviewed, author, DecisionIncomplete},
		{StatusReviewed, colleague, DecisionIncomplete},
		{StatusReturned, checker, DecisionConflicted},
		{StatusReturned, author, DecisionChangesRequested},
		{StatusReturned, colleague, DecisionChangesRequested},
		{StatusRejected, checker, DecisionConflicted},
		{StatusRejected, author, DecisionChangesRequested},
	}
	for _, tt := range tests {
		r := requestWith(tt.status, split)
		if got := r.DecisionFor(r.Files[0], tt.viewer); got != tt.want {
			t.Errorf("%s seen by %s: got %s, want %s", tt.status, tt.viewer.Username, got, tt.want)
		}
	}
	// In turn 0 nobody has reviewed: incomplete.
	r := requestWith(StatusPending, split)
	r.ReviewTurn, r.TurnReviewers = 0, nil
	if got := r.DecisionFor(r.Files[0], author); got != DecisionIncomplete {
		t.Errorf("pending request shows %s", got)
	}
}

func TestAllFilesApproved(t *testing.T) {
	r := requestWith(StatusReviewed, map[string]Vote{"a": A, "b": A})
	if !r.AllFilesApproved() {
		t.Error("two approvals are not all approved")
	}
	r.Files = append(r.Files, RequestFile{Relpath: "s.txt", Group: "g", FileType: FileSupporting})
	if !r.AllFilesApproved() {
		t.Error("a supporting file needs approval")
	}
	r.Files = append(r.Files, RequestFile{Relpath: "n.csv", Group: "g", FileType: FileOutput})
	if r.AllFilesApproved() {
		t.Error("an unreviewed output counts as approved")
	}
	empty := &Request{Status: StatusReviewed}
	if !empty.AllFilesApproved() {
		t.Error("no outputs is vacuously approved")
	}
}

func TestGroupsMissingPublicComment(t *testing.T) {
	public := func(turn int) Comment {
		return Comment{ID: 1, Group: "g", Author: "x", Visibility: VisibilityPublic, ReviewTurn: turn}
	}
	private := Comment{ID: 2, Group: "g", Author: "x", Visibility: VisibilityPrivate, ReviewTurn: 2}
	tests := []struct {
		name   string
		status Status
		votes  map[string]Vote
		edit   func(r *Request)
		want   []string
	}{
		{"all approved", StatusReviewed, map[string]Vote{"a": A, "b": A}, nil, nil},
		{"changes requested in review", StatusReviewed, map[string]Vote{"a": CR, "b": CR}, nil, []string{"g"}},
		{"conflicted in review", StatusReviewed, map[string]Vote{"a": A, "b": CR}, nil, []string{"g"}},
		{"commented in review", StatusReviewed, map[string]Vote{"a": CR, "b": CR},
			func(r *Request) { r.Comments = []Comment{public(1)} }, nil},
		{"private comment is not enough", StatusReviewed, map[string]Vote{"a": CR, "b": CR},
			func(r *Request) { r.Comments = []Comment{private} }, []string{"g"}},
		{"returned with changes", StatusReturned, map[string]Vote{"a": CR, "b": CR}, nil, []string{"g"}},
		{"returned, author commented this turn", StatusReturned, map[string]Vote{"a": CR, "b": CR},
			func(r *Request) { r.Comments = []Comment{public(2)} }, nil},
		{"returned, comment from the review turn is not enough", StatusReturned, map[string]Vote{"a": CR, "b": CR},
			func(r *Request) { r.Comments = []Comment{public(1)} }, []string{"g"}},
		{"early return asks nothing", StatusReturned, map[string]Vote{"a": CR},
			func(r *Request) { r.TurnReviewers = []string{"a"} }, nil},
		{"withdrawn file with changes requested", StatusReturned, map[string]Vote{"a": CR, "b": CR},
			func(r *Request) {
				r.Files[0].FileType = FileWithdrawn
				r.Files = append(r.Files, RequestFile{Relpath: "ok.csv", Group: "h", FileType: FileOutput, Reviews: votes(map[string]Vote{"a": A, "b": A})})
				r.Groups = append(r.Groups, Group{Name: "h"})
			}, []string{"g"}},
		{"new file in an approved request", StatusReturned, map[string]Vote{"a": A, "b": A},
			func(r *Request) {
				r.Files = append(r.Files, RequestFile{Relpath: "new.csv", Group: "g", FileType: FileOutput})
			}, []string{"g"}},
		{"file moved to a new group", StatusReturned, map[string]Vote{"a": A, "b": A},
			func(r *Request) {
				r.Groups = append(r.Groups, Group{Name: "moved"})
				r.Files[0].Group, r.Files[0].Reviews = "moved", nil // moving resets votes
				r.Files = append(r.Files, RequestFile{Relpath: "cr.csv", Group: "g", FileType: FileOutput, Reviews: votes(map[string]Vote{"a": CR, "b": CR})})
			}, []string{"g", "moved"}},
		{"supporting file retyped to output", StatusReturned, map[string]Vote{"a": CR, "b": CR},
			func(r *Request) {
				r.Groups = append(r.Groups, Group{Name: "h"})
				r.Files = append(r.Files, RequestFile{Relpath: "s.csv", Group: "h", FileType: FileOutput})
			}, []string{"g", "h"}},
		{"new supporting file needs nothing", StatusReturned, map[string]Vote{"a": A, "b": A},
			func(r *Request) {
				r.Groups = append(r.Groups, Group{Name: "h"})
				r.Files = append(r.Files, RequestFile{Relpath: "s.txt", Group: "h", FileType: FileSupporting},
					RequestFile{Relpath: "x.csv", Group: "g", FileType: FileOutput, Reviews: votes(map[string]Vote{"a": CR, "b": CR})})
			}, []string{"g"}},
		{"updated file (votes reset)", StatusReturned, nil, nil, []string{"g"}},
		{"submitted request asks nothing", StatusSubmitted, map[string]Vote{"a": CR, "b": CR}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := requestWith(tt.status, tt.votes)
			if tt.edit != nil {
				tt.edit(r)
			}
			got := r.GroupsMissingPublicComment()
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
