package web

import (
	"net/http"

	"github.com/airlock-go/airlock/internal/domain"
)

// docs answers /docs/ and below, which need no login (spec §6). The user
// documentation is not served yet: until it is, this says so.
func (h *Handler) docs(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	return errorPage(http.StatusNotFound, "The user documentation is not available on this server yet.")
}
