package service_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/testkit"
)

// sameRequest fails unless got, as an action returned it, is what the
// store reads afresh: the whole request, or (part) the same part.
func sameRequest(t *testing.T, e *testkit.Env, what string, got *domain.Request, part *store.RequestPart) {
	t.Helper()
	var want *domain.Request
	var err error
	if part != nil {
		want, err = e.Store.GetRequestPart(e.Ctx, got.ID, *part)
	} else {
		want, err = e.Store.GetRequest(e.Ctx, got.ID)
	}
	e.OK(err)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s returned\n%+v\nthe store has\n%+v", what, got, want)
	}
	// The cache serves the request as the store has it.
	full, err := e.Store.GetRequest(e.Ctx, got.ID)
	e.OK(err)
	if cached := e.Get(got.ID); !reflect.DeepEqual(cached, full) {
		t.Errorf("after %s the service reads\n%+v\nthe store has\n%+v", what, cached, full)
	}
}

// TestActionsReturnTheRequestAsCommitted: the actions that change the
// request they read instead of reading it again (votes, comments, file
// withdrawals) return exactly what the store then holds, and the service
// reads the same afterwards.
func TestActionsReturnTheRequestAsCommitted(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	p := r.Files[0].Relpath
	one := &store.RequestPart{Paths: []string{p}}
	e.Get(r.ID) // cached before the changes
	got := e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, p, domain.VoteApproved))
	sameRequest(t, e, "a first vote", got, one)
	if len(got.Files) != 1 || got.Files[0].Reviews["c1"].Vote != domain.VoteApproved {
		t.Errorf("vote returned %+v", got.Files)
	}
	e.Clock.Advance(1)
	got = e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, p, domain.VoteChangesRequested))
	sameRequest(t, e, "a changed vote", got, one)
	got = e.R(e.Svc.Vote(e.Ctx, e.C2, r.ID, p, domain.VoteApproved))
	sameRequest(t, e, "a second checker's vote", got, one)
	got = e.R(e.Svc.ResetVote(e.Ctx, e.C1, r.ID, p))
	sameRequest(t, e, "a vote taken back", got, one)

	cm, err := e.Svc.CreateComment(e.Ctx, e.C1, r.ID, "g", "Rounded?", domain.VisibilityPrivate)
	e.OK(err)
	if cm.ID == 0 || cm.Text != "Rounded?" {
		t.Errorf("comment %+v", cm)
	}
	if full := e.Get(r.ID); len(full.Comments) != 1 || full.Comments[0].ID != cm.ID {
		t.Errorf("comments after one: %+v", full.Comments)
	}
	if _, err := e.Svc.PublishComment(e.Ctx, e.C1, r.ID, "g", cm.ID); err != nil {
		t.Fatal(err)
	}
	if full := e.Get(r.ID); full.Comments[0].Visibility != domain.VisibilityPublic {
		t.Errorf("published comment %+v", full.Comments[0])
	}
	e.OK(e.Svc.DeleteComment(e.Ctx, e.C1, r.ID, "g", cm.ID))
	if full := e.Get(r.ID); len(full.Comments) != 0 {
		t.Errorf("comments after delete: %+v", full.Comments)
	}

	// Withdrawals: a pending request forgets the file; a returned one
	// keeps it, withdrawn.
	pending := e.Pending(e.Colleague, "out/x.csv", "out/y.csv", "out/z.csv")
	e.Get(pending.ID)
	got = e.R(e.Svc.WithdrawFiles(e.Ctx, e.Colleague, pending.ID, []string{"out/y.csv"}))
	sameRequest(t, e, "a withdrawal from a pending request", got, nil)
	if len(got.Files) != 2 {
		t.Errorf("files after withdrawal: %v", testkit.SortedPaths(got))
	}
	got = e.R(e.Svc.WithdrawFiles(e.Ctx, e.Colleague, pending.ID, []string{"out/z.csv", "out/x.csv"}))
	sameRequest(t, e, "two withdrawals from a pending request", got, nil)

	returned := e.Returned(e.CheckerAuthor)
	e.Get(returned.ID)
	got = e.R(e.Svc.WithdrawFiles(e.Ctx, e.CheckerAuthor, returned.ID, []string{returned.Files[0].Relpath}))
	sameRequest(t, e, "a withdrawal from a returned request", got, nil)
	if f, _ := got.File(returned.Files[0].Relpath); f == nil || f.FileType != domain.FileWithdrawn || len(f.Reviews) == 0 {
		t.Errorf("withdrawn file %+v", f)
	}
}

// TestPartialReadsKeepRules: a vote or comment refused on the part read
// is refused as on the whole request, and changes nothing.
func TestPartialReadsKeepRules(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	before := e.Get(r.ID)
	tests := []struct {
		name string
		do   func() error
		kind error
	}{
		{"vote on a missing file", func() error {
			_, err := e.Svc.Vote(e.Ctx, e.C1, r.ID, "out/none.csv", domain.VoteApproved)
			return err
		}, domain.ErrNotFound},
		{"vote on one's own request", func() error {
			_, err := e.Svc.Vote(e.Ctx, e.Author, r.ID, r.Files[0].Relpath, domain.VoteApproved)
			return err
		}, domain.ErrPermissionDenied},
		{"vote by an outsider", func() error {
			_, err := e.Svc.Vote(e.Ctx, e.Outsider, r.ID, r.Files[0].Relpath, domain.VoteApproved)
			return err
		}, domain.ErrPermissionDenied},
		{"vote on a missing request", func() error {
			_, err := e.Svc.Vote(e.Ctx, e.C1, "NOSUCH", r.Files[0].Relpath, domain.VoteApproved)
			return err
		}, domain.ErrNotFound},
		{"reset of no vote", func() error {
			_, err := e.Svc.ResetVote(e.Ctx, e.C1, r.ID, r.Files[0].Relpath)
			return err
		}, domain.ErrNotFound},
		{"comment on a missing group", func() error {
			_, err := e.Svc.CreateComment(e.Ctx, e.C1, r.ID, "nogroup", "x", "")
			return err
		}, domain.ErrNotFound},
		{"delete of another's comment", func() error {
			return e.Svc.DeleteComment(e.Ctx, e.C1, r.ID, "g", 999)
		}, domain.ErrNotFound},
	}
	for _, tt := range tests {
		if err := tt.do(); !domainKind(err, tt.kind) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.kind)
		}
	}
	if after := e.Get(r.ID); !reflect.DeepEqual(after, before) {
		t.Errorf("refusals changed the request")
	}
}

func domainKind(err, kind error) bool { return errors.Is(err, kind) }
