package web

import (
	"net/http"

	"github.com/airlock-go/airlock/internal/domain"
)

// uiComponentsView is the component gallery: every style of style.css and
// behaviour of app.js in use, for whoever builds a page (and for the
// browser tests that look at them).
type uiComponentsView struct {
	Statuses []domain.Status
	States   []stateLabel
	Flashes  []Flash
}

type stateLabel struct{ State, Label string }

// uiComponents shows the component gallery (/ui-components/).
func (h *Handler) uiComponents(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	return h.render(w, r, http.StatusOK, "ui-components", uiComponentsView{
		Statuses: domain.Statuses(),
		Flashes: []Flash{
			{FlashSuccess, "Request has been submitted"}, {FlashError, "The file does not match its manifest"},
			{FlashInfo, "You have been logged out."}, {FlashWarning, "A recent job may have updated the outputs"},
		},
		States: []stateLabel{
			{"UNRELEASED", "Unreleased"}, {"UNDER_REVIEW", "Under review"}, {"UPDATED", "Updated"},
			{"RELEASED", "Released"}, {"WITHDRAWN", "Withdrawn"}, {"APPROVED", "Approved"},
			{"CHANGES_REQUESTED", "Changes requested"}, {"CONFLICTED", "Conflicted"}, {"INCOMPLETE", "Incomplete"},
			{"UNDECIDED", "Undecided"}, {"SUPPORTING", "Supporting"}, {"INVALID", "Invalid"}, {"OUT_OF_DATE", "Out of date"},
		},
	})
}
