package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

// The rules that lived only in the pages are the domain's now, and the
// API refuses the same things with the same words: a group-wide vote
// after the reviewer submitted their review.
func TestGroupVotesAfterReviewRefusedWithTheDomainsWords(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	h.Review(r.ID, h.C1, domain.VoteApproved)
	want := domain.Message(h.Get(r.ID).CheckGroupVotes(h.C1, "g"))
	if want == "" {
		t.Fatal("the domain does not refuse a group-wide vote after the review")
	}
	for _, action := range []string{"request-changes", "reset-votes"} {
		before := h.snap(r.ID)
		status, raw := h.call("c1", "POST", "/api/v1/requests/"+r.ID+"/groups/g/"+action, nil)
		eb := checkError(t, action, status, raw)
		if status != http.StatusConflict || eb.Error.Code != "policy" || eb.Error.Message != want {
			t.Errorf("%s after the review: %d %s %q, want 409 policy %q", action, status, eb.Error.Code, eb.Error.Message, want)
		}
		if after := h.snap(r.ID); after != before {
			t.Errorf("%s: a refused call changed the request: %+v → %+v", action, before, after)
		}
	}
	// Before their review, the other checker may.
	if status, raw := h.call("c2", "POST", "/api/v1/requests/"+r.ID+"/groups/g/request-changes", nil); status != http.StatusOK {
		t.Errorf("request changes before the review: %d %s", status, raw)
	}
}

// Refusals read as sentences for people in the API too; the code stays
// the contract.
func TestRefusalIsASentence(t *testing.T) {
	h := newHarness(t)
	r := h.Returned(h.Author)
	status, raw := h.call("c2", "PUT", "/api/v1/requests/"+r.ID+"/votes/out/a.csv", map[string]string{"vote": "APPROVED"})
	eb := checkError(t, "vote on a returned request", status, raw)
	if status != http.StatusConflict || eb.Error.Code != "invalid_transition" ||
		eb.Error.Message != "This request has been returned to its author; it is not under review." {
		t.Errorf("vote on a returned request: %d %s %q", status, eb.Error.Code, eb.Error.Message)
	}
}

// Saving a file's properties unchanged is not an error: 200 with the
// request as it was, nothing written or audited.
func TestChangePropertiesUnchanged(t *testing.T) {
	h := newHarness(t)
	r := h.Pending(h.Author)
	before := h.snap(r.ID)
	status, raw := h.call("author", "POST", "/api/v1/requests/"+r.ID+"/files/properties",
		map[string]any{"paths": []string{"out/a.csv"}, "group": "g", "filetype": "OUTPUT"})
	if status != http.StatusOK || !strings.Contains(string(raw), `"path":"out/a.csv"`) {
		t.Fatalf("unchanged properties: %d %s", status, raw)
	}
	if after := h.snap(r.ID); after != before {
		t.Errorf("saving unchanged properties changed the request or its audit: %+v → %+v", before, after)
	}
}
