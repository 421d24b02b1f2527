package domain

import (
	"strings"
	"testing"
	"time"
)

// nextStepRequest is a request in status st with two output files, a
// complete group, and the reviews the status implies.
func nextStepRequest(st Status, votes map[string]Vote) *Request {
	r := &Request{ID: "r", Workspace: "ws", Author: "author", Status: st, ReviewTurn: 1,
		Groups: []Group{{Name: "g", Context: "c", Controls: "k"}},
		Files: []RequestFile{
			{Relpath: "a.csv", Group: "g", FileType: FileOutput, Reviews: map[string]Review{}},
			{Relpath: "b.csv", Group: "g", FileType: FileOutput, Reviews: map[string]Review{}},
		},
		SubmittedReviews: map[string]time.Time{},
	}
	for name, v := range votes {
		for i := range r.Files {
			r.Files[i].Reviews[name] = Review{Reviewer: name, Vote: v, ReviewTurn: 1}
		}
	}
	switch st {
	case StatusPartiallyReviewed:
		r.SubmittedReviews["c2"] = time.Now()
	case StatusReviewed, StatusApproved, StatusRejected, StatusReleased:
		r.SubmittedReviews["c2"] = time.Now()
		r.SubmittedReviews["c3"] = time.Now()
	}
	return r
}

// TestNextStepAgreesWithActions: in every status, for every kind of user,
// the move the next-step sentence asks of the user is an allowed action
// (the banner and the buttons never disagree), and a user with no allowed
// action is not told to act with one.
func TestNextStepAgreesWithActions(t *testing.T) {
	voteSets := map[string]map[string]Vote{
		"none":     nil,
		"approved": {"c2": A, "c3": A},
		"changes":  {"c2": CR, "c3": A},
		"mine":     {"checker": A, "c2": A, "c3": A},
	}
	for _, st := range Statuses() {
		for vname, votes := range voteSets {
			for _, a := range actors() {
				r := nextStepRequest(st, votes)
				u := userFor(a)
				ns := r.NextStep(u)
				if ns.Text == "" {
					t.Errorf("%s/%s/%s: no next step", st, vname, a)
				}
				actions := r.Actions(u)
				if ns.Action != "" {
					found := false
					for _, act := range actions {
						if act.Kind == ns.Action {
							found = true
							if !act.Allowed() {
								t.Errorf("%s/%s/%s: next step asks for %s, which is refused: %s", st, vname, a, ns.Action, act.Reason())
							}
						}
					}
					if !found {
						t.Errorf("%s/%s/%s: next step asks for %s, which is not an action of the user", st, vname, a, ns.Action)
					}
				}
				for _, act := range actions {
					if act.Allowed() != (act.Err == nil) || (act.Allowed() && act.Reason() != "") || (!act.Allowed() && act.Reason() == "") {
						t.Errorf("%s/%s/%s: %s allowed=%v reason=%q", st, vname, a, act.Kind, act.Allowed(), act.Reason())
					}
					if got := r.Check(act.Kind, u); (got == nil) != act.Allowed() {
						t.Errorf("%s/%s/%s: %s: Actions says allowed=%v, its rule says %v", st, vname, a, act.Kind, act.Allowed(), got)
					}
				}
			}
		}
	}
}

func TestNextStepSentences(t *testing.T) {
	checker := userFor(actChecker)
	author := userFor(actAuthor)
	tests := []struct {
		name string
		r    *Request
		u    User
		want string
		act  ActionKind
	}{
		{"author may submit", nextStepRequest(StatusPending, nil), author, "submit the request for review", ActionSubmit},
		{"checker waits for the author", nextStepRequest(StatusPending, nil), checker, "Waiting for the author (author)", ""},
		{"checker votes", nextStepRequest(StatusSubmitted, nil), checker, "0 of 2 voted", ""},
		{"checker submits", nextStepRequest(StatusSubmitted, map[string]Vote{"checker": A}), checker, "submit your review", ActionSubmitReview},
		{"checker releases", nextStepRequest(StatusReviewed, map[string]Vote{"c2": A, "c3": A}), checker, "release the files", ActionRelease},
		{"author of a rejected request", nextStepRequest(StatusRejected, nil), author, "start a new request", ""},
		{"author while reviewed", nextStepRequest(StatusReviewed, nil), author, "output checker will now", ""},
	}
	for _, tt := range tests {
		ns := tt.r.NextStep(tt.u)
		if !strings.Contains(ns.Text, tt.want) || ns.Action != tt.act {
			t.Errorf("%s: got %q (%s), want %q (%s)", tt.name, ns.Text, ns.Action, tt.want, tt.act)
		}
	}
	// Changes requested in REVIEWED, no public comment: not yet returnable.
	r := nextStepRequest(StatusReviewed, map[string]Vote{"c2": CR, "c3": A})
	if ns := r.NextStep(checker); ns.Action != "" || !strings.Contains(ns.Text, "public comment") {
		t.Errorf("reviewed, comment missing: %+v", ns)
	}
	r.Comments = []Comment{{ID: 1, Group: "g", Author: "c2", Visibility: VisibilityPublic, ReviewTurn: 1}}
	if ns := r.NextStep(checker); ns.Action != ActionReturn {
		t.Errorf("reviewed, commented: %+v", ns)
	}
}

func TestDecisionReason(t *testing.T) {
	checker, author := userFor(actChecker), userFor(actAuthor)
	tests := []struct {
		name  string
		st    Status
		votes map[string]Vote
		u     User
		want  string
	}{
		{"independent", StatusSubmitted, map[string]Vote{"c2": A}, checker, "shown once both independent reviews are submitted"},
		{"both approve", StatusReviewed, map[string]Vote{"c2": A, "c3": A}, checker, "approved by both reviewers (c2 and c3)"},
		{"both approve, author", StatusReleased, map[string]Vote{"c2": A, "c3": A}, author, "approved by both reviewers"},
		{"changes by one", StatusReviewed, map[string]Vote{"c2": CR, "c3": CR}, checker, "changes requested by c2 and c3"},
		{"conflict", StatusReviewed, map[string]Vote{"c2": CR, "c3": A}, checker, "the reviewers disagree: approved by c3, changes requested by c2"},
		{"conflict seen by the author", StatusRejected, map[string]Vote{"c2": CR, "c3": A}, author, "changes requested by one reviewer; approved by one reviewer"},
	}
	for _, tt := range tests {
		r := nextStepRequest(tt.st, tt.votes)
		if got := r.DecisionReason(r.Files[0], tt.u); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSentence(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Explain your changes in a public comment on group “g” before resubmitting.", "explain your changes in a public comment on group “g” before resubmitting."},
		{"Vote on every output file", "vote on every output file."},
		{"JSON files cannot be released.", "JSON files cannot be released."},
		{"“Tables” needs a comment.", "“Tables” needs a comment."},
		{"A public comment is needed", "a public comment is needed."},
		{"I", "I."},
	} {
		if got := sentence(tt.in); got != tt.want {
			t.Errorf("sentence(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
