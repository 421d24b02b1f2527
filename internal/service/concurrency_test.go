package service_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// together runs fns at the same moment and returns their errors.
func together(fns ...func() error) []error {
	errs := make([]error, len(fns))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn()
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func TestTwoReviewersSubmittingAtOnce(t *testing.T) {
	for range 10 {
		e := testkit.NewEnv(t)
		r := e.Submitted(e.Author)
		e.VoteAll(r.ID, e.C1, domain.VoteApproved)
		e.VoteAll(r.ID, e.C2, domain.VoteApproved)
		errs := together(
			func() error { _, err := e.Svc.SubmitReview(e.Ctx, e.C1, r.ID); return err },
			func() error { _, err := e.Svc.SubmitReview(e.Ctx, e.C2, r.ID); return err },
		)
		for _, err := range errs {
			if err != nil {
				t.Fatalf("a review was refused: %v", err)
			}
		}
		r = e.Get(r.ID)
		if r.Status != domain.StatusReviewed {
			t.Fatalf("status %s, want REVIEWED", r.Status)
		}
		if got := r.SubmittedReviewers(); !slices.Equal(got, []string{"c1", "c2"}) {
			t.Fatalf("submitted reviews %v", got)
		}
		// Each review's notification is sent after its own commit, by the
		// goroutine that made it: of two commits at once, either may
		// notify first. Each is sent once.
		notes := e.Notes.Types()
		if len(notes) != 3 || notes[0] != "request_submitted" {
			t.Fatalf("notifications %v", notes)
		}
		if reviews := slices.Sorted(slices.Values(notes[1:])); !slices.Equal(reviews, []string{"request_partially_reviewed", "request_reviewed"}) {
			t.Fatalf("notifications %v", notes)
		}
		events, err := e.Svc.AuditLog(e.Ctx, testkit.AuditOf(r.ID, domain.EventRequestReview))
		e.OK(err)
		if len(events) != 2 {
			t.Fatalf("%d review events, want 2", len(events))
		}
		if _, err := e.Svc.VerifyAudit(e.Ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSameReviewerSubmittingTwiceAtOnce(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	e.VoteAll(r.ID, e.C1, domain.VoteApproved)
	errs := together(
		func() error { _, err := e.Svc.SubmitReview(e.Ctx, e.C1, r.ID); return err },
		func() error { _, err := e.Svc.SubmitReview(e.Ctx, e.C1, r.ID); return err },
	)
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("want exactly one success, got %v", errs)
	}
	if r = e.Get(r.ID); r.Status != domain.StatusPartiallyReviewed || len(r.SubmittedReviews) != 1 {
		t.Fatalf("status %s with %d reviews", r.Status, len(r.SubmittedReviews))
	}
}

func TestTwoCheckersVotingOnOneFileAtOnce(t *testing.T) {
	for range 10 {
		e := testkit.NewEnv(t)
		r := e.Submitted(e.Author)
		errs := together(
			func() error { _, err := e.Svc.Vote(e.Ctx, e.C1, r.ID, "out/a.csv", domain.VoteApproved); return err },
			func() error {
				_, err := e.Svc.Vote(e.Ctx, e.C2, r.ID, "out/a.csv", domain.VoteChangesRequested)
				return err
			},
		)
		for _, err := range errs {
			if err != nil {
				t.Fatalf("a vote was refused: %v", err)
			}
		}
		f, _ := e.Get(r.ID).File("out/a.csv")
		if f.Reviews["c1"].Vote != domain.VoteApproved || f.Reviews["c2"].Vote != domain.VoteChangesRequested {
			t.Fatalf("votes %+v", f.Reviews)
		}
	}
}

// TestReleaseRacingAChangedVote: a checker releasing while another turns
// an approval into a change request must not release an unapproved file.
func TestReleaseRacingAChangedVote(t *testing.T) {
	for range 10 {
		e := testkit.NewEnv(t)
		r := e.Reviewed(e.Author, domain.VoteApproved)
		errs := together(
			func() error { _, err := e.Svc.Release(e.Ctx, e.C1, r.ID); return err },
			func() error {
				_, err := e.Svc.Vote(e.Ctx, e.C2, r.ID, "out/a.csv", domain.VoteChangesRequested)
				return err
			},
		)
		r = e.Get(r.ID)
		f, _ := r.File("out/a.csv")
		switch {
		case errs[0] == nil && errs[1] == nil:
			t.Fatalf("both the release and the vote change succeeded")
		case errs[0] == nil:
			if r.Status != domain.StatusApproved || f.Reviews["c2"].Vote != domain.VoteApproved {
				t.Fatalf("release won but status %s, vote %s", r.Status, f.Reviews["c2"].Vote)
			}
		case errs[1] == nil:
			if r.Status != domain.StatusReviewed || f.ReleasedAt != nil {
				t.Fatalf("vote won but status %s", r.Status)
			}
		default:
			t.Fatalf("both refused: %v", errs)
		}
	}
}
