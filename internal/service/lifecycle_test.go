package service_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

func TestWholeLifecycle(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Pending(e.Author, "out/a.csv", "out/b.csv")
	if r.Status != domain.StatusPending || len(r.Files) != 2 || r.ReviewTurn != 0 {
		t.Fatalf("pending request: %+v", r)
	}
	r = e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	if r.Status != domain.StatusSubmitted || r.ReviewTurn != 1 || r.LastSubmittedAt == nil {
		t.Fatalf("submitted: status %s turn %d", r.Status, r.ReviewTurn)
	}
	r = e.Review(r.ID, e.C1, domain.VoteApproved)
	if r.Status != domain.StatusPartiallyReviewed {
		t.Fatalf("after one review: %s", r.Status)
	}
	r = e.Review(r.ID, e.C2, domain.VoteApproved)
	if r.Status != domain.StatusReviewed || !r.AllFilesApproved() {
		t.Fatalf("after two reviews: %s", r.Status)
	}
	r = e.R(e.Svc.Release(e.Ctx, e.C1, r.ID))
	if r.Status != domain.StatusApproved {
		t.Fatalf("after release: %s", r.Status)
	}
	for _, f := range r.OutputFiles() {
		if f.ReleasedAt == nil || f.ReleasedBy != "c1" {
			t.Errorf("%s not marked released: %+v", f.Relpath, f)
		}
	}
	if _, err := e.Svc.MarkReleased(e.Ctx, r.ID); !errors.Is(err, domain.ErrPolicy) {
		t.Errorf("released before uploads: %v", err)
	}
	for _, f := range r.OutputFiles() {
		_, _, err := e.Svc.RecordUploadAttempt(e.Ctx, r.ID, f.Relpath, time.Minute)
		e.OK(err)
		e.OK(e.Svc.RecordUpload(e.Ctx, r.ID, f.Relpath))
	}
	r = e.R(e.Svc.MarkReleased(e.Ctx, r.ID))
	if r.Status != domain.StatusReleased {
		t.Fatalf("after uploads: %s", r.Status)
	}
	want := []string{"request_submitted", "request_partially_reviewed", "request_reviewed", "request_approved", "request_released"}
	if got := e.Notes.Types(); !slices.Equal(got, want) {
		t.Errorf("notifications %v, want %v", got, want)
	}
	if n, err := e.Svc.VerifyAudit(e.Ctx); err != nil || n == 0 {
		t.Errorf("audit verify: %d events, %v", n, err)
	}
	events, err := e.Svc.AuditLog(e.Ctx, service.AuditFilter{Request: r.ID})
	e.OK(err)
	var types []domain.EventType
	for i := len(events) - 1; i >= 0; i-- {
		types = append(types, events[i].Type)
	}
	wantTypes := []domain.EventType{
		domain.EventRequestCreate, domain.EventRequestFileAdd, domain.EventRequestFileAdd, domain.EventRequestEdit,
		domain.EventRequestSubmit,
		domain.EventRequestFileApprove, domain.EventRequestFileApprove, domain.EventRequestReview,
		domain.EventRequestFileApprove, domain.EventRequestFileApprove, domain.EventRequestReview,
		domain.EventRequestFileRelease, domain.EventRequestFileRelease, domain.EventRequestApprove,
		domain.EventRequestFileUpload, domain.EventRequestFileUpload, domain.EventRequestRelease,
	}
	if !slices.Equal(types, wantTypes) {
		t.Errorf("audit events\n got %v\nwant %v", types, wantTypes)
	}
}
