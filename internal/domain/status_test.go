package domain

import (
	"errors"
	"testing"
)

func TestEveryStatusHasOneOwnerAndPhase(t *testing.T) {
	for _, s := range Statuses() {
		owners := 0
		for _, is := range []bool{s.IsEditing(), s.IsUnderReview(), s.IsFinal()} {
			if is {
				owners++
			}
		}
		if owners != 1 {
			t.Errorf("%s has %d owners", s, owners)
		}
		if s.Phase() == "" {
			t.Errorf("%s has no phase", s)
		}
	}
}

func TestEveryStatusButPendingHasANotification(t *testing.T) {
	seen := map[Status]bool{}
	for _, tr := range Transitions() {
		if tr.Notification == "" || tr.Audit == "" {
			t.Errorf("%s→%s lacks a notification or audit event", tr.From, tr.To)
		}
		seen[tr.To] = true
	}
	for _, s := range Statuses() {
		if s != StatusPending && !seen[s] {
			t.Errorf("no transition reaches %s", s)
		}
	}
	if got := NotificationEvent(StatusReturned, StatusSubmitted); got != "request_resubmitted" {
		t.Errorf("resubmission notifies %q", got)
	}
	if got := NotificationEvent(StatusPending, StatusSubmitted); got != "request_submitted" {
		t.Errorf("submission notifies %q", got)
	}
	// The admin command moves from statuses the table does not know.
	if got := NotificationEvent(StatusReviewed, StatusWithdrawn); got != "request_withdrawn" {
		t.Errorf("admin withdrawal notifies %q", got)
	}
}

func TestActiveStatuses(t *testing.T) {
	want := []Status{StatusPending, StatusSubmitted, StatusPartiallyReviewed, StatusReviewed, StatusReturned}
	got := ActiveStatuses()
	if len(got) != len(want) {
		t.Fatalf("active statuses %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("active statuses %v, want %v", got, want)
		}
	}
}

func TestParse(t *testing.T) {
	if _, err := ParseStatus("PENDING"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "pending", "DONE"} {
		if _, err := ParseStatus(bad); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("ParseStatus(%q) = %v", bad, err)
		}
	}
	if _, err := ParseFileType("WITHDRAWN"); !errors.Is(err, ErrInvalidInput) {
		t.Error("users may not choose WITHDRAWN")
	}
	if _, err := ParseVote("UNDECIDED"); !errors.Is(err, ErrInvalidInput) {
		t.Error("users may not vote UNDECIDED")
	}
	if _, err := ParseVisibility("SECRET"); !errors.Is(err, ErrInvalidInput) {
		t.Error("unknown visibility accepted")
	}
}

// actor names the kinds of user the permission matrices try.
type actor string

const (
	actAuthor        actor = "author"
	actCollaborator  actor = "collaborator"
	actChecker       actor = "checker"
	actCheckerAuthor actor = "checker-author"
	actCopilot       actor = "copilot"
	actReadOnly      actor = "readonly"
	actOutsider      actor = "outsider"
)

func actors() []actor {
	return []actor{actAuthor, actCollaborator, actChecker, actCheckerAuthor, actCopilot, actReadOnly, actOutsider}
}

func active() WorkspaceInfo {
	return WorkspaceInfo{ProjectDetails: ProjectDetails{Name: "P", Ongoing: true}}
}

// userFor builds the user playing a part on a request of workspace ws by
// author "author" (or "checkerauthor" for actCheckerAuthor).
func userFor(a actor) User {
	role := map[string]WorkspaceInfo{"ws": active()}
	switch a {
	case actAuthor:
		return User{Username: "author", Workspaces: role}
	case actCollaborator:
		return User{Username: "colleague", Workspaces: role}
	case actChecker:
		return User{Username: "checker", OutputChecker: true}
	case actCheckerAuthor:
		return User{Username: "author", OutputChecker: true, Workspaces: role}
	case actCopilot:
		return User{Username: "copilot", CopilotedWorkspaces: role}
	case actReadOnly:
		return User{Username: "support", ReadonlyAccess: true}
	}
	return User{Username: "stranger", Workspaces: map[string]WorkspaceInfo{"other": active()}}
}

// TestCheckStatusMatrix tries every status change from every status by
// every kind of user: only the moves of the state machine, by the owner of
// the status, pass.
func TestCheckStatusMatrix(t *testing.T) {
	isChecker := func(a actor) bool { return a == actChecker }
	for _, from := range Statuses() {
		for _, to := range Statuses() {
			tr, inTable := FindTransition(from, to)
			for _, a := range actors() {
				r := &Request{ID: "r", Workspace: "ws", Author: "author", Status: from}
				err := r.CheckStatus(to, userFor(a))
				var want error
				switch {
				case !inTable:
					want = ErrInvalidTransition
				case tr.From.Owner() == OwnerAuthor && a != actAuthor && a != actCheckerAuthor:
					want = ErrPermissionDenied
				case tr.From.Owner() != OwnerAuthor && !isChecker(a):
					want = ErrPermissionDenied
				}
				if want == nil && err != nil || want != nil && !errors.Is(err, want) {
					t.Errorf("%s→%s by %s: got %v, want %v", from, to, a, err, want)
				}
			}
		}
	}
}
