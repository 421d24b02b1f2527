package web

import (
	"net/http"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// copilotedWorkspaces lists the workspaces the user copilots that this
// backend has, grouped by project as on /workspaces/ (no request lists).
func (h *Handler) copilotedWorkspaces(w http.ResponseWriter, r *http.Request, u domain.User) error {
	list, err := h.svc.VisibleWorkspaces(r.Context(), u)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "workspace-copiloted", workspacesView{Projects: groupWorkspaces(u.CopilotedWorkspaces, list, nil)})
}

// allWorkspacesView is "All Workspaces" for read-only users.
type allWorkspacesView struct {
	Query      string
	Total      int
	Workspaces []service.WorkspaceSummary
}

// allWorkspaces lists every workspace with a manifest, filtered by q
// (case-insensitive substring); htmx asks for the results only.
func (h *Handler) allWorkspaces(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if !u.ReadonlyAccess {
		return errorPage(http.StatusForbidden, "Only people with read-only access to every workspace may list them all.")
	}
	all, err := h.svc.VisibleWorkspaces(r.Context(), u)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := allWorkspacesView{Query: q, Total: len(all)}
	lq := strings.ToLower(q)
	for _, ws := range all {
		if strings.Contains(strings.ToLower(ws.Name), lq) {
			v.Workspaces = append(v.Workspaces, ws)
		}
	}
	if isHTMX(r) {
		return h.renderFragment(w, r, http.StatusOK, "workspace-all", "workspace-all-results", v)
	}
	return h.render(w, r, http.StatusOK, "workspace-all", v)
}
