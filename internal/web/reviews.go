package web

import (
	"net/http"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// reviewsView is the "Reviews" index: the requests an output
// checker may review, by what they wait for.
type reviewsView struct {
	Outstanding []reviewItem // SUBMITTED, PARTIALLY_REVIEWED, REVIEWED
	Returned    []reviewItem // RETURNED
	Approved    []reviewItem // APPROVED
}

// reviewItem is one request of the index, with the checker's progress.
type reviewItem struct {
	Request   domain.Request
	Voted     int  // output files the checker has voted on
	Outputs   int  // output files of the request
	Submitted bool // the checker has submitted their review this turn
}

// reviewStatuses are the statuses the index lists.
var reviewStatuses = []domain.Status{
	domain.StatusSubmitted, domain.StatusPartiallyReviewed, domain.StatusReviewed,
	domain.StatusReturned, domain.StatusApproved,
}

// reviews lists the requests an output checker may review (never their
// own): those awaiting review with the checker's progress, those returned
// to their authors, and those approved and awaiting release.
func (h *Handler) reviews(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if !u.IsOutputChecker() {
		return errorPage(http.StatusForbidden, "Only output checkers can see the requests to review.")
	}
	reqs, err := h.svc.ListRequests(r.Context(), u, service.RequestFilter{Statuses: reviewStatuses, Reviewable: true})
	if err != nil {
		return err
	}
	var v reviewsView
	for _, rq := range reqs {
		switch {
		case rq.Status.IsUnderReview():
			// The list holds headers only: the files come with the request.
			full, err := h.svc.GetRequest(r.Context(), u, rq.ID)
			if err != nil {
				return err
			}
			v.Outstanding = append(v.Outstanding, reviewItem{
				Request: *full, Voted: full.VotedCount(u.Username), Outputs: len(full.OutputFiles()),
				Submitted: full.HasSubmittedReview(u.Username),
			})
		case rq.Status == domain.StatusReturned:
			v.Returned = append(v.Returned, reviewItem{Request: rq})
		case rq.Status == domain.StatusApproved:
			v.Approved = append(v.Approved, reviewItem{Request: rq})
		}
	}
	return h.render(w, r, http.StatusOK, "reviews", v)
}
