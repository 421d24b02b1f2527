package domain

import (
	"errors"
	"slices"
	"testing"
)

// TestVisibilityPerPhaseAndViewer walks a comment through every phase and
// asks who may read it.
func TestVisibilityPerPhaseAndViewer(t *testing.T) {
	author := User{Username: "author", Workspaces: map[string]WorkspaceInfo{"ws": active()}}
	colleague := User{Username: "colleague", Workspaces: map[string]WorkspaceInfo{"ws": active()}}
	c1 := User{Username: "c1", OutputChecker: true}
	c2 := User{Username: "c2", OutputChecker: true}
	copilot := User{Username: "copilot", CopilotedWorkspaces: map[string]WorkspaceInfo{"ws": active()}}
	type item struct {
		by   string
		vis  Visibility
		turn int
	}
	tests := []struct {
		name   string
		status Status
		turn   int
		item   item
		seen   []string // viewers who see it
	}{
		{"reviewer's private comment during independent review", StatusSubmitted, 1, item{"c1", VisibilityPrivate, 1}, []string{"c1"}},
		{"reviewer's public comment during independent review", StatusPartiallyReviewed, 1, item{"c1", VisibilityPublic, 1}, []string{"c1"}},
		{"private comment while consolidating", StatusReviewed, 1, item{"c1", VisibilityPrivate, 1}, []string{"c1", "c2"}},
		{"public comment while consolidating", StatusReviewed, 1, item{"c1", VisibilityPublic, 1}, []string{"c1", "c2"}},
		{"public comment after return", StatusReturned, 2, item{"c1", VisibilityPublic, 1}, []string{"author", "colleague", "c1", "c2", "copilot"}},
		{"private comment after return", StatusReturned, 2, item{"c1", VisibilityPrivate, 1}, []string{"c1", "c2"}},
		{"author's comment while returned", StatusReturned, 2, item{"author", VisibilityPublic, 2}, []string{"author"}},
		{"author's comment after resubmission", StatusSubmitted, 3, item{"author", VisibilityPublic, 2}, []string{"author", "colleague", "c1", "c2", "copilot"}},
		{"public comment of a rejected request", StatusRejected, 1, item{"c1", VisibilityPublic, 1}, []string{"author", "colleague", "c1", "c2", "copilot"}},
		{"private comment of a released request", StatusReleased, 1, item{"c1", VisibilityPrivate, 1}, []string{"c1", "c2"}},
	}
	viewers := []User{author, colleague, c1, c2, copilot}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Workspace: "ws", Author: "author", Status: tt.status, ReviewTurn: tt.turn}
			var seen []string
			for _, v := range viewers {
				if r.Visible(v, tt.item.by, tt.item.vis, tt.item.turn, false) {
					seen = append(seen, v.Username)
				}
				if r.Visible(v, tt.item.by, tt.item.vis, tt.item.turn, true) {
					t.Errorf("%s sees a hidden item", v.Username)
				}
			}
			if !slices.Equal(seen, tt.seen) {
				t.Errorf("seen by %v, want %v", seen, tt.seen)
			}
		})
	}
}

func TestEventVisibilityFollowsComment(t *testing.T) {
	r := &Request{Workspace: "ws", Author: "author", Status: StatusReturned, ReviewTurn: 2}
	author := User{Username: "author"}
	private := Event{Type: EventRequestCommentDelete, User: "c1", Extra: map[string]string{"visibility": "PRIVATE", "review_turn": "1"}}
	public := Event{Type: EventRequestFileApprove, User: "c1", Extra: map[string]string{"review_turn": "1"}}
	if r.EventVisible(author, private) {
		t.Error("author sees the deletion of a private comment")
	}
	if !r.EventVisible(author, public) {
		t.Error("author does not see last turn's public event")
	}
	public.Hidden = true
	if r.EventVisible(author, public) {
		t.Error("author sees a hidden event")
	}
}

func TestCommentPermissions(t *testing.T) {
	for _, st := range Statuses() {
		for _, a := range actors() {
			r := &Request{Workspace: "ws", Author: "author", Status: st, Groups: []Group{{Name: "g"}}}
			u := userFor(a)
			err := r.CheckCreateComment(u, "g", "text", r.WritableVisibilities(u)[0])
			var allowed bool
			switch a {
			case actAuthor, actCollaborator, actCheckerAuthor:
				allowed = st.IsEditing()
			case actChecker:
				allowed = st.IsUnderReview()
			}
			if allowed != (err == nil) {
				t.Errorf("%s comments on %s: %v", a, st, err)
			}
		}
	}
	// A checker who collaborates on the workspace may comment on others'
	// requests in any status before it is final.
	cc := User{Username: "cc", OutputChecker: true, Workspaces: map[string]WorkspaceInfo{"ws": active()}}
	for _, st := range Statuses() {
		r := &Request{Workspace: "ws", Author: "author", Status: st, Groups: []Group{{Name: "g"}}}
		if err := r.CheckComment(cc); (err == nil) != !st.IsFinal() {
			t.Errorf("checker collaborator on %s: %v", st, err)
		}
	}
}

func TestWritableVisibilities(t *testing.T) {
	c := User{Username: "c", OutputChecker: true}
	r := &Request{Workspace: "ws", Author: "author", Status: StatusSubmitted}
	if got := r.WritableVisibilities(c); !slices.Equal(got, []Visibility{VisibilityPrivate, VisibilityPublic}) {
		t.Errorf("reviewer may write %v", got)
	}
	for _, u := range []User{{Username: "author", OutputChecker: true}, {Username: "x"}} {
		if got := r.WritableVisibilities(u); !slices.Equal(got, []Visibility{VisibilityPublic}) {
			t.Errorf("%s may write %v", u.Username, got)
		}
	}
	r.Status = StatusReturned
	if got := r.WritableVisibilities(c); !slices.Equal(got, []Visibility{VisibilityPublic}) {
		t.Errorf("while returned a checker may write %v", got)
	}
	r.Status, r.Groups = StatusSubmitted, []Group{{Name: "g"}}
	if err := r.CheckCreateComment(User{Username: "author", Workspaces: map[string]WorkspaceInfo{"ws": active()}}, "g", "x", VisibilityPrivate); err == nil {
		t.Error("author wrote a private comment")
	}
}

func TestDeleteAndPublishOwnCommentsOfThisTurnOnly(t *testing.T) {
	c1 := User{Username: "c1", OutputChecker: true}
	c2 := User{Username: "c2", OutputChecker: true}
	r := &Request{Workspace: "ws", Author: "author", Status: StatusReviewed, ReviewTurn: 3, Groups: []Group{{Name: "g"}},
		Comments: []Comment{
			{ID: 1, Group: "g", Author: "c1", Visibility: VisibilityPrivate, ReviewTurn: 3},
			{ID: 2, Group: "g", Author: "c1", Visibility: VisibilityPrivate, ReviewTurn: 1},
			{ID: 3, Group: "g", Author: "c1", Visibility: VisibilityPublic, ReviewTurn: 3},
		}}
	tests := []struct {
		name    string
		err     error
		wantErr error
	}{
		{"own comment", r.CheckDeleteComment(c1, "g", 1), nil},
		{"someone else's", r.CheckDeleteComment(c2, "g", 1), ErrPermissionDenied},
		{"earlier turn", r.CheckDeleteComment(c1, "g", 2), ErrPolicy},
		{"wrong group", r.CheckDeleteComment(c1, "h", 1), ErrNotFound},
		{"unknown", r.CheckDeleteComment(c1, "g", 9), ErrNotFound},
		{"publish own private", r.CheckPublishComment(c1, "g", 1), nil},
		{"publish public", r.CheckPublishComment(c1, "g", 3), ErrPolicy},
		{"publish earlier turn", r.CheckPublishComment(c1, "g", 2), ErrPolicy},
		{"publish someone else's", r.CheckPublishComment(c2, "g", 1), ErrPermissionDenied},
	}
	for _, tt := range tests {
		if tt.wantErr == nil && tt.err != nil || tt.wantErr != nil && !errors.Is(tt.err, tt.wantErr) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.err, tt.wantErr)
		}
	}
}
