package service_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want a %v error", err, kind)
	}
}

func vote(r *domain.Request, path, reviewer string) domain.Vote {
	f, ok := r.File(path)
	if !ok {
		return ""
	}
	return f.Reviews[reviewer].Vote
}

func TestResubmissionUndecidesChangeRequestsAndKeepsApprovals(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, "out/a.csv", domain.VoteApproved))
	e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, "out/b.csv", domain.VoteChangesRequested))
	_, err := e.Svc.SubmitReview(e.Ctx, e.C1, r.ID)
	wantKind(t, err, domain.ErrPolicy) // changes requested without a comment
	_, err = e.Svc.CreateComment(e.Ctx, e.C1, r.ID, "g", "b needs rounding", domain.VisibilityPrivate)
	e.OK(err)
	e.R(e.Svc.SubmitReview(e.Ctx, e.C1, r.ID))
	e.Review(r.ID, e.C2, domain.VoteApproved)
	_, err = e.Svc.Return(e.Ctx, e.C2, r.ID)
	wantKind(t, err, domain.ErrPolicy) // a public comment is needed to return
	_, err = e.Svc.CreateComment(e.Ctx, e.C2, r.ID, "g", "Please round b.", domain.VisibilityPublic)
	e.OK(err)
	r = e.R(e.Svc.Return(e.Ctx, e.C2, r.ID))
	if r.Status != domain.StatusReturned || r.ReviewTurn != 2 || !slices.Equal(r.TurnReviewers, []string{"c1", "c2"}) {
		t.Fatalf("returned: %s turn %d reviewers %v", r.Status, r.ReviewTurn, r.TurnReviewers)
	}
	if d := r.DecisionFor(r.Files[1], e.Author); d != domain.DecisionChangesRequested {
		t.Errorf("author sees %s on the conflicted file", d)
	}
	_, err = e.Svc.Submit(e.Ctx, e.Author, r.ID)
	wantKind(t, err, domain.ErrPolicy) // the author must explain
	_, err = e.Svc.CreateComment(e.Ctx, e.Author, r.ID, "g", "Rounded.", "")
	e.OK(err)
	r = e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	if r.ReviewTurn != 3 || len(r.SubmittedReviews) != 0 {
		t.Fatalf("resubmitted: turn %d, reviews %v", r.ReviewTurn, r.SubmittedReviews)
	}
	if v := vote(r, "out/b.csv", "c1"); v != domain.VoteUndecided {
		t.Errorf("change request became %s, want UNDECIDED", v)
	}
	if v := vote(r, "out/a.csv", "c1"); v != domain.VoteApproved {
		t.Errorf("approval became %s", v)
	}
	if got := e.Notes.Types()[len(e.Notes.Types())-1]; got != "request_resubmitted" {
		t.Errorf("resubmission notified %s", got)
	}
	// C1 must vote again on b before submitting.
	_, err = e.Svc.SubmitReview(e.Ctx, e.C1, r.ID)
	wantKind(t, err, domain.ErrPolicy)
	e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, "out/b.csv", domain.VoteApproved))
	e.R(e.Svc.SubmitReview(e.Ctx, e.C1, r.ID))
}

func TestEarlyReturnAfterResubmissionUndoesOnlyThatTurn(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Returned(e.Author) // turn 1 reviewed by c1, c2 (changes requested)
	_, err := e.Svc.CreateComment(e.Ctx, e.Author, r.ID, "g", "Fixed.", "")
	e.OK(err)
	r = e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID)) // turn 3
	turn := r.ReviewTurn
	// In turn 3: c1 votes and submits; c3 votes without submitting; both comment.
	e.Review(r.ID, e.C1, domain.VoteApproved)
	e.R(e.Svc.Vote(e.Ctx, e.C3, r.ID, "out/a.csv", domain.VoteChangesRequested))
	_, err = e.Svc.CreateComment(e.Ctx, e.C3, r.ID, "g", "hmm", domain.VisibilityPrivate)
	e.OK(err)
	before := e.Get(r.ID)
	oldComments := 0
	for _, c := range before.Comments {
		if c.ReviewTurn < turn {
			oldComments++
		}
	}
	r = e.R(e.Svc.Return(e.Ctx, e.C3, r.ID))
	if r.Status != domain.StatusReturned || r.ReviewTurn != turn+1 {
		t.Fatalf("status %s turn %d", r.Status, r.ReviewTurn)
	}
	if v := vote(r, "out/a.csv", "c1"); v != domain.VoteUndecided {
		t.Errorf("submitted reviewer's vote of this turn is %s, want UNDECIDED", v)
	}
	if v := vote(r, "out/a.csv", "c3"); v != "" {
		t.Errorf("unsubmitted reviewer's vote of this turn kept: %s", v)
	}
	if v, was := vote(r, "out/a.csv", "c2"), vote(before, "out/a.csv", "c2"); v != was || v != domain.VoteUndecided {
		t.Errorf("vote of an earlier turn changed from %s to %s", was, v)
	}
	if len(r.Comments) != oldComments {
		t.Errorf("%d comments left, want the %d of earlier turns", len(r.Comments), oldComments)
	}
	for _, c := range r.Comments {
		if c.ReviewTurn == turn {
			t.Errorf("comment of the undone turn kept: %+v", c)
		}
	}
	events, err := e.Svc.AuditLog(e.Ctx, service.AuditFilter{Request: r.ID})
	e.OK(err)
	var earlyReturn, returned bool
	for _, ev := range events {
		inTurn := ev.ReviewTurn() == turn
		switch ev.Type {
		case domain.EventRequestEarlyReturn:
			earlyReturn = !ev.Hidden
		case domain.EventRequestReturn:
			returned = !ev.Hidden
		default:
			if inTurn != ev.Hidden {
				t.Errorf("%s of turn %d hidden=%v", ev.Type, ev.ReviewTurn(), ev.Hidden)
			}
		}
	}
	if !earlyReturn || !returned {
		t.Errorf("early return %v, return %v events visible", earlyReturn, returned)
	}
	// Early return asks the author for no comment.
	if g := r.GroupsMissingPublicComment(); len(g) != 0 {
		t.Errorf("after an early return the author must comment on %v", g)
	}
	if _, err := e.Svc.VerifyAudit(e.Ctx); err != nil {
		t.Errorf("audit chain after hiding: %v", err)
	}
}

func TestRequiredPublicCommentsAfterAReturn(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(e *testkit.Env, r *domain.Request)
		needs []string
	}{
		{"changes requested", func(*testkit.Env, *domain.Request) {}, []string{"g"}},
		{"withdrawn file still counts", func(e *testkit.Env, r *domain.Request) {
			e.R(e.Svc.WithdrawFiles(e.Ctx, e.Author, r.ID, []string{"out/b.csv"}))
		}, []string{"g"}},
		{"new file in a new group", func(e *testkit.Env, r *domain.Request) {
			e.Files.Write(testkit.Workspace, "out/new.csv", "n\n1\n")
			e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "extra", []service.AddFile{{Path: "out/new.csv", FileType: domain.FileOutput}}))
		}, []string{"extra", "g"}},
		{"file moved to a new group", func(e *testkit.Env, r *domain.Request) {
			e.R(changeProperties(e, r.ID, "moved", domain.FileOutput))
		}, []string{"g", "moved"}},
		{"retyped to supporting", func(e *testkit.Env, r *domain.Request) {
			e.R(changeProperties(e, r.ID, "g", domain.FileSupporting))
		}, []string{"g"}},
		{"updated file", func(e *testkit.Env, r *domain.Request) {
			e.Files.Write(testkit.Workspace, "out/a.csv", "x,y\n5,10\n")
			e.R(e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{"out/a.csv"}))
		}, []string{"g"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testkit.NewEnv(t)
			r := e.Returned(e.Author)
			tt.edit(e, r)
			r = e.Get(r.ID)
			for _, g := range r.Groups {
				if !r.IsEmpty(g.Name) && r.IsIncomplete(g.Name) {
					_, _, err := e.Svc.EditGroup(e.Ctx, e.Author, r.ID, g.Name, "c", "c")
					e.OK(err)
				}
			}
			got := e.Get(r.ID).GroupsMissingPublicComment()
			slices.Sort(got)
			if !slices.Equal(got, tt.needs) {
				t.Fatalf("groups needing a comment %v, want %v", got, tt.needs)
			}
			_, err := e.Svc.Submit(e.Ctx, e.Author, r.ID)
			wantKind(t, err, domain.ErrPolicy)
			for _, g := range got {
				_, err := e.Svc.CreateComment(e.Ctx, e.Author, r.ID, g, "Explained.", "")
				e.OK(err)
			}
			if _, err := e.Svc.Submit(e.Ctx, e.Author, r.ID); err != nil && !strings.Contains(err.Error(), "at least one output file") {
				t.Fatalf("submit after comments: %v", err)
			}
		})
	}
}

func TestThirdReviewerBreaksAConflict(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	e.Review(r.ID, e.C1, domain.VoteApproved)
	r = e.Review(r.ID, e.C2, domain.VoteChangesRequested)
	if r.AllFilesApproved() {
		t.Fatal("conflict counted as approved")
	}
	_, err := e.Svc.Release(e.Ctx, e.C1, r.ID)
	wantKind(t, err, domain.ErrPolicy)
	r = e.Review(r.ID, e.C3, domain.VoteApproved)
	if r.Status != domain.StatusReviewed || len(r.SubmittedReviews) != 3 {
		t.Fatalf("third review: %s with %d reviews", r.Status, len(r.SubmittedReviews))
	}
	r = e.R(e.Svc.Release(e.Ctx, e.C3, r.ID))
	if r.Status != domain.StatusApproved {
		t.Fatalf("status %s", r.Status)
	}
	events, err := e.Svc.AuditLog(e.Ctx, testkit.AuditOf(r.ID, domain.EventRequestReview))
	e.OK(err)
	if len(events) != 3 {
		t.Errorf("%d review events, want 3 (§12.3)", len(events))
	}
}

func TestResetVoteOnlyBeforeSubmittingReview(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	_, err := e.Svc.ResetVote(e.Ctx, e.C1, r.ID, "out/a.csv")
	wantKind(t, err, domain.ErrNotFound)
	e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, "out/a.csv", domain.VoteApproved))
	r = e.R(e.Svc.ResetVote(e.Ctx, e.C1, r.ID, "out/a.csv"))
	if v := vote(r, "out/a.csv", "c1"); v != "" {
		t.Fatalf("vote kept: %s", v)
	}
	e.Review(r.ID, e.C1, domain.VoteApproved)
	_, err = e.Svc.ResetVote(e.Ctx, e.C1, r.ID, "out/a.csv")
	wantKind(t, err, domain.ErrPolicy)
	// Changing a vote after submitting is allowed.
	r = e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, "out/a.csv", domain.VoteChangesRequested))
	if v := vote(r, "out/a.csv", "c1"); v != domain.VoteChangesRequested {
		t.Fatalf("vote %s", v)
	}
}

func TestBulkGroupVotes(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Pending(e.Author, "out/a.csv", "out/b.csv", "out/c.csv")
	r = e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, "out/a.csv", domain.VoteApproved))
	r, res, err := e.Svc.RequestChangesOnGroup(e.Ctx, e.C1, r.ID, "g")
	e.OK(err)
	if res != (service.BulkResult{Changed: 2, Unchanged: 1}) {
		t.Errorf("request changes: %+v", res)
	}
	if vote(r, "out/a.csv", "c1") != domain.VoteApproved || vote(r, "out/c.csv", "c1") != domain.VoteChangesRequested {
		t.Errorf("votes after bulk request changes: %s %s", vote(r, "out/a.csv", "c1"), vote(r, "out/c.csv", "c1"))
	}
	r, res, err = e.Svc.ResetVotesOnGroup(e.Ctx, e.C1, r.ID, "g")
	e.OK(err)
	if res.Changed != 3 || r.VotedCount("c1") != 0 {
		t.Errorf("reset votes: %+v, %d left", res, r.VotedCount("c1"))
	}
	_, _, err = e.Svc.RequestChangesOnGroup(e.Ctx, e.C1, r.ID, "nope")
	wantKind(t, err, domain.ErrNotFound)
}

func TestAddingFilesIsAtomic(t *testing.T) {
	e := testkit.NewEnv(t)
	e.Files.Write(testkit.Workspace, "out/a.csv", "a\n1\n")
	e.Files.Write(testkit.Workspace, "out/model.pkl", "binary")
	_, err := e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{
		{Path: "out/a.csv", FileType: domain.FileOutput}, {Path: "out/model.pkl", FileType: domain.FileOutput},
	})
	wantKind(t, err, domain.ErrInvalidInput)
	if cur, err := e.Svc.CurrentRequest(e.Ctx, e.Author, testkit.Workspace); err != nil || cur != nil {
		t.Fatalf("a failed add left a request behind: %v %v", cur, err)
	}
	_, err = e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{{Path: "out/missing.csv", FileType: domain.FileOutput}})
	wantKind(t, err, domain.ErrInvalidInput)
	e.Files.Write(testkit.Workspace, "out/b.csv", "b\n2\n")
	e.Files.CorruptManifest(testkit.Workspace, "out/b.csv")
	_, err = e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{
		{Path: "out/a.csv", FileType: domain.FileOutput}, {Path: "out/b.csv", FileType: domain.FileOutput},
	})
	if !errors.Is(err, domain.ErrPolicy) || !strings.Contains(err.Error(), "out/b.csv does not match the workspace manifest") {
		t.Fatalf("hash mismatch: %v", err)
	}
	if cur, _ := e.Svc.CurrentRequest(e.Ctx, e.Author, testkit.Workspace); cur != nil {
		t.Fatal("a hash mismatch left a request behind")
	}
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "Tables", []service.AddFile{{Path: "out/a.csv", FileType: domain.FileOutput}}))
	if r.Groups[0].Name != "Tables" {
		t.Errorf("new group named %q, want the case typed kept", r.Groups[0].Name)
	}
	// Group names are unique ignoring case: "tables" is refused, naming
	// the group that exists, and nothing is added.
	e.Files.Write(testkit.Workspace, "out/c.csv", "x\n1\n")
	_, err = e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "tables", []service.AddFile{{Path: "out/c.csv", FileType: domain.FileOutput}})
	if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), `already has a group “Tables”`) {
		t.Fatalf("a group differing only in case: %v", err)
	}
	if got := e.Get(r.ID); len(got.Files) != 1 || len(got.Groups) != 1 {
		t.Fatalf("the refused add changed the request: %+v", got)
	}
	_, err = e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "other", []service.AddFile{{Path: "out/a.csv", FileType: domain.FileOutput}})
	if err == nil || !strings.Contains(err.Error(), `“Tables”`) {
		t.Fatalf("duplicate add: %v", err)
	}
	// Another researcher has a request of their own.
	r2 := e.R(e.Svc.AddFiles(e.Ctx, e.Colleague, testkit.Workspace, "g", []service.AddFile{{Path: "out/a.csv", FileType: domain.FileOutput}}))
	if r2.ID == r.ID {
		t.Fatal("colleague added to the author's request")
	}
	// Non-collaborators cannot start one.
	for _, u := range []domain.User{e.C1, e.Copilot, e.ReadOnly, e.Outsider} {
		_, err := e.Svc.AddFiles(e.Ctx, u, testkit.Workspace, "g", []service.AddFile{{Path: "out/a.csv", FileType: domain.FileOutput}})
		wantKind(t, err, domain.ErrPermissionDenied)
	}
}

func TestReleasedFilesOnlyAsSupportingAndLogs(t *testing.T) {
	e := testkit.NewEnv(t)
	e.RequestIn(e.Author, domain.StatusReleased)
	_, err := e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{{Path: "out/a.csv", FileType: domain.FileOutput}})
	wantKind(t, err, domain.ErrPolicy)
	e.Files.Write(testkit.Workspace, "metadata/job.log", "log\n")
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{
		{Path: "out/a.csv", FileType: domain.FileSupporting}, {Path: "metadata/job.log", FileType: domain.FileSupporting},
	}))
	if got := testkit.SortedPaths(r); !slices.Equal(got, []string{"g:metadata/job.log:SUPPORTING", "g:out/a.csv:SUPPORTING"}) {
		t.Errorf("files %v", got)
	}
	_, _, err = e.Svc.ChangeFileProperties(e.Ctx, e.Author, r.ID, []string{"out/a.csv"}, "g", domain.FileOutput)
	wantKind(t, err, domain.ErrPolicy)
}

func TestWithdrawAndReAdd(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Pending(e.Author)
	r = e.R(e.Svc.WithdrawFiles(e.Ctx, e.Author, r.ID, []string{"out/b.csv"}))
	if _, ok := r.File("out/b.csv"); ok {
		t.Fatal("withdrawing from a pending request keeps the file")
	}
	e2 := testkit.NewEnv(t)
	r = e2.Returned(e2.Author)
	r = e2.R(e2.Svc.WithdrawFiles(e2.Ctx, e2.Author, r.ID, []string{"out/b.csv"}))
	f, _ := r.File("out/b.csv")
	if f.FileType != domain.FileWithdrawn || len(f.Reviews) != 2 {
		t.Fatalf("withdrawn from a returned request: %+v", f)
	}
	r = e2.R(e2.Svc.AddFiles(e2.Ctx, e2.Author, testkit.Workspace, "again", []service.AddFile{{Path: "out/b.csv", FileType: domain.FileSupporting}}))
	f, _ = r.File("out/b.csv")
	if f.FileType != domain.FileSupporting || f.Group != "again" || len(f.Reviews) != 0 {
		t.Fatalf("re-added: %+v", f)
	}
}

func TestFileGoneFromWorkspace(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Returned(e.Author)
	e.Files.Remove(testkit.Workspace, "out/a.csv")
	_, err := e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{"out/a.csv"})
	wantKind(t, err, domain.ErrInvalidInput)
	e.R(changeProperties(e, r.ID, "h", domain.FileOutput))
	e.R(e.Svc.WithdrawFiles(e.Ctx, e.Author, r.ID, []string{"out/a.csv"}))
}

func TestEditGroupNoChangeWritesNothing(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Pending(e.Author)
	g, _ := r.Group("g")
	head := auditHead(e)
	r2, changed, err := e.Svc.EditGroup(e.Ctx, e.Author, r.ID, "g", g.Context, g.Controls)
	e.OK(err)
	if changed || auditHead(e) != head {
		t.Error("an unchanged form was written")
	}
	if r2.Version != r.Version {
		t.Errorf("an unchanged form moved the version from %d to %d", r.Version, r2.Version)
	}
	_, _, err = e.Svc.EditGroup(e.Ctx, e.Author, r.ID, "missing", "c", "c")
	wantKind(t, err, domain.ErrNotFound)
}

func TestCommentVisibilityThroughTheTurns(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	private, err := e.Svc.CreateComment(e.Ctx, e.C1, r.ID, "g", "private note", "")
	e.OK(err)
	if private.Visibility != domain.VisibilityPrivate {
		t.Fatalf("reviewer's default visibility %s", private.Visibility)
	}
	public, err := e.Svc.CreateComment(e.Ctx, e.C1, r.ID, "g", "public note", domain.VisibilityPublic)
	e.OK(err)
	seen := func(u domain.User) []string {
		r := e.R(e.Svc.GetRequest(e.Ctx, u, r.ID))
		var out []string
		for _, c := range r.VisibleComments(u, "g") {
			out = append(out, c.Text)
		}
		slices.Sort(out)
		return out
	}
	events := func(u domain.User) int {
		evs, err := e.Svc.RequestEvents(e.Ctx, u, r.ID)
		e.OK(err)
		n := 0
		for _, ev := range evs {
			if ev.Type == domain.EventRequestComment {
				n++
			}
		}
		return n
	}
	if got := seen(e.C2); len(got) != 0 || events(e.C2) != 0 {
		t.Errorf("independent review: c2 sees %v", got)
	}
	if got := seen(e.C1); len(got) != 2 {
		t.Errorf("c1 sees own comments %v", got)
	}
	e.Review(r.ID, e.C1, domain.VoteApproved)
	e.Review(r.ID, e.C2, domain.VoteApproved)
	if got := seen(e.C2); !slices.Equal(got, []string{"private note", "public note"}) || events(e.C2) != 2 {
		t.Errorf("consolidating: c2 sees %v", got)
	}
	if got := seen(e.Author); len(got) != 0 || events(e.Author) != 0 {
		t.Errorf("consolidating: author sees %v", got)
	}
	e.R(e.Svc.Return(e.Ctx, e.C2, r.ID))
	if got := seen(e.Author); !slices.Equal(got, []string{"public note"}) || events(e.Author) != 1 {
		t.Errorf("returned: author sees %v", got)
	}
	// A finished turn's comments can no longer be deleted or published.
	wantKind(t, e.Svc.DeleteComment(e.Ctx, e.C1, r.ID, "g", public.ID), domain.ErrInvalidTransition)
	// The author's comments while returned are theirs alone until resubmission.
	_, err = e.Svc.CreateComment(e.Ctx, e.Author, r.ID, "g", "author reply", "")
	e.OK(err)
	if got := seen(e.C1); slices.Contains(got, "author reply") {
		t.Error("checker sees the author's reply before resubmission")
	}
	e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	if got := seen(e.C1); !slices.Contains(got, "author reply") {
		t.Error("checker does not see the author's reply after resubmission")
	}
}

func TestDeletingAPrivateCommentKeepsItPrivate(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	c, err := e.Svc.CreateComment(e.Ctx, e.C1, r.ID, "g", "secret", domain.VisibilityPrivate)
	e.OK(err)
	e.OK(e.Svc.DeleteComment(e.Ctx, e.C1, r.ID, "g", c.ID))
	e.Review(r.ID, e.C1, domain.VoteApproved)
	e.Review(r.ID, e.C2, domain.VoteApproved)
	e.R(e.Svc.Release(e.Ctx, e.C1, r.ID))
	evs, err := e.Svc.RequestEvents(e.Ctx, e.Author, r.ID)
	e.OK(err)
	for _, ev := range evs {
		if strings.Contains(ev.Extra["comment"], "secret") {
			t.Errorf("author sees %s with the private text", ev.Type)
		}
	}
}

func TestPublishComment(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Reviewed(e.Author, domain.VoteApproved)
	c, err := e.Svc.CreateComment(e.Ctx, e.C1, r.ID, "g", "now public", domain.VisibilityPrivate)
	e.OK(err)
	_, err = e.Svc.PublishComment(e.Ctx, e.C2, r.ID, "g", c.ID)
	wantKind(t, err, domain.ErrPermissionDenied)
	c, err = e.Svc.PublishComment(e.Ctx, e.C1, r.ID, "g", c.ID)
	e.OK(err)
	if c.Visibility != domain.VisibilityPublic {
		t.Fatalf("visibility %s", c.Visibility)
	}
	_, err = e.Svc.PublishComment(e.Ctx, e.C1, r.ID, "g", c.ID)
	wantKind(t, err, domain.ErrPolicy)
}

func TestAdminChangeStatus(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	_, err := e.Svc.AdminChangeStatus(e.Ctx, r.ID, "nobody", domain.StatusWithdrawn)
	wantKind(t, err, domain.ErrNotFound)
	_, err = e.Svc.AdminChangeStatus(e.Ctx, r.ID, "c1", domain.StatusApproved)
	wantKind(t, err, domain.ErrInvalidInput)
	r = e.R(e.Svc.AdminChangeStatus(e.Ctx, r.ID, "c1", domain.StatusWithdrawn))
	if r.Status != domain.StatusWithdrawn {
		t.Fatalf("status %s", r.Status)
	}
	_, err = e.Svc.AdminChangeStatus(e.Ctx, r.ID, "c1", domain.StatusWithdrawn)
	wantKind(t, err, domain.ErrPolicy)
	evs, err := e.Svc.AuditLog(e.Ctx, testkit.AuditOf(r.ID, domain.EventRequestWithdraw))
	e.OK(err)
	if len(evs) != 1 || evs[0].Extra["automated_action"] != "true" || evs[0].User != "c1" {
		t.Errorf("admin audit %+v", evs)
	}
	if got := e.Notes.Types(); got[len(got)-1] != "request_withdrawn" {
		t.Errorf("notifications %v", got)
	}
}

func TestFileViewsAndDownloads(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	e.OK(e.Svc.RecordRequestFileView(e.Ctx, e.Author, r.ID, "out/a.csv", false))
	wantKind(t, e.Svc.RecordRequestFileView(e.Ctx, e.Author, r.ID, "out/a.csv", true), domain.ErrPermissionDenied)
	e.OK(e.Svc.RecordRequestFileView(e.Ctx, e.C1, r.ID, "out/a.csv", true))
	wantKind(t, e.Svc.RecordRequestFileView(e.Ctx, e.Outsider, r.ID, "out/a.csv", false), domain.ErrPermissionDenied)
	wantKind(t, e.Svc.RecordRequestFileView(e.Ctx, e.C1, r.ID, "out/zzz.csv", false), domain.ErrNotFound)
	e.OK(e.Svc.RecordWorkspaceFileView(e.Ctx, e.Copilot, testkit.Workspace, "out/a.csv"))
	wantKind(t, e.Svc.RecordWorkspaceFileView(e.Ctx, e.Outsider, testkit.Workspace, "out/a.csv"), domain.ErrPermissionDenied)
	evs, err := e.Svc.AuditLog(e.Ctx, service.AuditFilter{User: "c1", Request: r.ID})
	e.OK(err)
	if len(evs) != 1 || evs[0].Type != domain.EventRequestFileDownload {
		t.Errorf("c1's events %+v", evs)
	}
}

func TestListRequests(t *testing.T) {
	e := testkit.NewEnv(t)
	mine := e.Submitted(e.Author)
	other := e.Submitted(e.CheckerAuthor)
	ids := func(u domain.User, f service.RequestFilter) []string {
		rs, err := e.Svc.ListRequests(e.Ctx, u, f)
		e.OK(err)
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(e.C1, service.RequestFilter{Reviewable: true}); !slices.Equal(got, []string{other.ID, mine.ID}) {
		t.Errorf("c1 reviewable %v", got)
	}
	if got := ids(e.CheckerAuthor, service.RequestFilter{Reviewable: true}); !slices.Equal(got, []string{mine.ID}) {
		t.Errorf("checker-author reviewable %v", got)
	}
	if got := ids(e.Outsider, service.RequestFilter{}); len(got) != 0 {
		t.Errorf("outsider sees %v", got)
	}
	if got := ids(e.Author, service.RequestFilter{Author: "author", Statuses: []domain.Status{domain.StatusSubmitted}}); !slices.Equal(got, []string{mine.ID}) {
		t.Errorf("author's submitted %v", got)
	}
}

func TestGetOrCreateRequest(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.R(e.Svc.GetOrCreateRequest(e.Ctx, e.Author, testkit.Workspace, true))
	if r.Status != domain.StatusPending || len(r.Files) != 0 || r.Project != "Project ws" || !slices.Equal(r.Organisations, []string{"Org"}) {
		t.Fatalf("created %+v", r)
	}
	again := e.R(e.Svc.GetOrCreateRequest(e.Ctx, e.Author, testkit.Workspace, false))
	if again.ID != r.ID || again.Version != r.Version {
		t.Errorf("second call made or touched a request: %s v%d", again.ID, again.Version)
	}
	evs, err := e.Svc.AuditLog(e.Ctx, testkit.AuditOf(r.ID, domain.EventRequestCreate))
	e.OK(err)
	if len(evs) != 1 || evs[0].Extra["automated_action"] != "true" {
		t.Errorf("create events %+v", evs)
	}
	_, err = e.Svc.GetOrCreateRequest(e.Ctx, e.Copilot, testkit.Workspace, false)
	wantKind(t, err, domain.ErrPermissionDenied)
}

func TestNotificationsForEveryTransition(t *testing.T) {
	e := testkit.NewEnv(t)
	e.RequestIn(e.Author, domain.StatusReleased)
	e.RequestIn(e.Colleague, domain.StatusRejected)
	r := e.RequestIn(e.CheckerAuthor, domain.StatusReturned)
	_, err := e.Svc.CreateComment(e.Ctx, e.CheckerAuthor, r.ID, "g", "fixed", "")
	e.OK(err)
	e.R(e.Svc.Withdraw(e.Ctx, e.CheckerAuthor, r.ID))
	sent := map[string]bool{}
	for _, n := range e.Notes.All() {
		sent[n.EventType] = true
		if n.Workspace != testkit.Workspace || n.Request == "" || n.RequestAuthor == "" || n.User == "" {
			t.Errorf("incomplete notification %+v", n)
		}
		if n.EventType == "request_approved" && (len(n.Updates) != 1 || n.Updates[0].Update != "2 files will be uploaded") {
			t.Errorf("approval updates %+v", n.Updates)
		}
	}
	for _, tr := range domain.Transitions() {
		if tr.Notification != "request_resubmitted" && !sent[tr.Notification] {
			t.Errorf("%s never sent", tr.Notification)
		}
	}
}

func TestStats(t *testing.T) {
	e := testkit.NewEnv(t)
	e.Pending(e.Colleague)
	r := e.RequestIn(e.Author, domain.StatusApproved)
	for range 6 {
		_, _, err := e.Svc.RecordUploadAttempt(e.Ctx, r.ID, "out/a.csv", time.Minute)
		e.OK(err)
	}
	st, err := e.Svc.Stats(e.Ctx)
	e.OK(err)
	if st.RequestsByStatus[domain.StatusPending] != 1 || st.RequestsByStatus[domain.StatusApproved] != 1 || st.RequestsByStatus[domain.StatusRejected] != 0 {
		t.Errorf("by status %v", st.RequestsByStatus)
	}
	if st.UploadBacklog != 2 || st.UploadFailing != 1 {
		t.Errorf("backlog %d failing %d, want 2 and 1", st.UploadBacklog, st.UploadFailing)
	}
}

// changeProperties changes the properties of the author's out/a.csv.
func changeProperties(e *testkit.Env, id, group string, ft domain.FileType) (*domain.Request, error) {
	r, _, err := e.Svc.ChangeFileProperties(e.Ctx, e.Author, id, []string{"out/a.csv"}, group, ft)
	return r, err
}

// Saving a file's properties unchanged is no refusal and no change: no
// audit event, the same version, the file counted as unchanged; with
// another file that does change, only that one is written.
func TestChangePropertiesUnchanged(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Pending(e.Author)
	before, err := e.Svc.RequestEvents(e.Ctx, e.Author, r.ID)
	e.OK(err)
	got, res, err := e.Svc.ChangeFileProperties(e.Ctx, e.Author, r.ID, []string{"out/a.csv"}, "g", domain.FileOutput)
	e.OK(err)
	if res != (service.BulkResult{Changed: 0, Unchanged: 1}) {
		t.Errorf("result %+v, want 1 unchanged", res)
	}
	if got.Version != r.Version {
		t.Errorf("version %d, want %d: nothing should be written", got.Version, r.Version)
	}
	after, err := e.Svc.RequestEvents(e.Ctx, e.Author, r.ID)
	e.OK(err)
	if len(after) != len(before) {
		t.Errorf("%d audit events after saving unchanged properties, want %d", len(after), len(before))
	}
	got, res, err = e.Svc.ChangeFileProperties(e.Ctx, e.Author, r.ID, []string{"out/a.csv", "out/b.csv"}, "g", domain.FileSupporting)
	e.OK(err)
	if res != (service.BulkResult{Changed: 2, Unchanged: 0}) {
		t.Errorf("result %+v, want 2 changed", res)
	}
	// A group named in another case is refused, naming the group (group
	// names keep their case, and differ by more than case).
	_, _, err = e.Svc.ChangeFileProperties(e.Ctx, e.Author, got.ID, []string{"out/a.csv", "out/b.csv"}, "G", domain.FileSupporting)
	if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), "“g”") {
		t.Errorf("group named in another case: %v, want a refusal naming “g”", err)
	}
}

// TestFailedUploadIsNotCachedAway: a failed upload's error and next
// attempt, written when the uploader gives its lease back, reach a reader
// that had the request cached (the drop moves the request's version); a
// lease the caller does not hold changes nothing.
func TestFailedUploadIsNotCachedAway(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.RequestIn(e.Author, domain.StatusApproved)
	c, ok, err := e.Svc.ClaimUpload(e.Ctx, "up1", time.Minute)
	e.OK(err)
	if !ok || c.RequestID != r.ID {
		t.Fatalf("claim %+v %v", c, ok)
	}
	_, _, err = e.Svc.RecordUploadAttempt(e.Ctx, c.RequestID, c.Relpath, time.Minute)
	e.OK(err)
	before := e.Get(r.ID) // read, and cached at this stamp
	next := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	e.OK(e.Svc.DropUploadLease(e.Ctx, c, "someone-else", errors.New("job-server said 502"), next))
	if got := e.Get(r.ID); got.Version != before.Version {
		t.Fatalf("a lease not held moved the request from version %d to %d", before.Version, got.Version)
	}
	e.OK(e.Svc.DropUploadLease(e.Ctx, c, "up1", errors.New("job-server said 502"), next))
	after := e.Get(r.ID)
	f, ok := after.File(c.Relpath)
	if !ok {
		t.Fatalf("no file %s", c.Relpath)
	}
	if f.UploadError == "" || f.UploadNextAt == nil || !f.UploadNextAt.Equal(next) {
		t.Fatalf("after the failed upload the request shows error %q, next %v; want the error and %v", f.UploadError, f.UploadNextAt, next)
	}
	if after.Version <= before.Version {
		t.Fatalf("version %d after the drop, %d before", after.Version, before.Version)
	}
}
