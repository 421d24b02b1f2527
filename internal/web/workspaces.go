package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// workspacesView is "Workspaces & Requests": the user's role workspaces
// grouped by project, each with the requests the user made for it.
type workspacesView struct {
	Projects []projectGroup
}

type projectGroup struct {
	Name       string
	Orgs       []string // of all its workspaces, sorted
	Ongoing    bool
	Workspaces []workspaceItem
}

type workspaceItem struct {
	Name     string
	Archived bool
	Active   bool            // project ongoing and workspace not archived
	Current  *domain.Request // the user's request still being worked on, if any
	Requests []domain.Request
	// Unavailable says why the workspace cannot be browsed (its manifest
	// is broken), "" when it can.
	Unavailable string
}

// workspaces lists the user's role workspaces that this backend has
// (service.VisibleWorkspaces) by project: ongoing projects first, then by
// name; within a project, workspaces that are not archived first, then by
// name. Each lists the user's own requests for it, newest first; one whose
// manifest is broken is shown unavailable, with the reason.
func (h *Handler) workspaces(w http.ResponseWriter, r *http.Request, u domain.User) error {
	list, err := h.svc.VisibleWorkspaces(r.Context(), u)
	if err != nil {
		return err
	}
	reqs, err := h.svc.ListRequests(r.Context(), u, service.RequestFilter{Author: u.Username})
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "workspaces", workspacesView{Projects: groupWorkspaces(u.Workspaces, list, reqs)})
}

// groupWorkspaces groups the workspaces of list that infos describes (the
// user's roles, or copiloted workspaces) by project, with their requests
// from reqs (newest first, as given).
func groupWorkspaces(infos map[string]domain.WorkspaceInfo, list []service.WorkspaceSummary, reqs []domain.Request) []projectGroup {
	byWorkspace := map[string][]domain.Request{}
	for _, rq := range reqs {
		byWorkspace[rq.Workspace] = append(byWorkspace[rq.Workspace], rq)
	}
	byProject := map[string]*projectGroup{}
	for _, ws := range list {
		name := ws.Name
		info, ok := infos[name]
		if !ok {
			continue
		}
		pd := info.ProjectDetails
		g := byProject[pd.Name]
		if g == nil {
			g = &projectGroup{Name: pd.Name, Ongoing: pd.Ongoing}
			byProject[pd.Name] = g
		}
		g.Orgs = append(g.Orgs, pd.Orgs...)
		g.Ongoing = g.Ongoing || pd.Ongoing // the same in every workspace, normally
		item := workspaceItem{Name: name, Archived: info.Archived, Active: info.Active(), Requests: byWorkspace[name], Unavailable: ws.Unavailable}
		for i := range item.Requests {
			if !item.Requests[i].Status.IsFinal() {
				item.Current = &item.Requests[i]
				break
			}
		}
		g.Workspaces = append(g.Workspaces, item)
	}
	var out []projectGroup
	for _, g := range byProject {
		slices.Sort(g.Orgs)
		g.Orgs = slices.Compact(g.Orgs)
		slices.SortFunc(g.Workspaces, func(a, b workspaceItem) int {
			if a.Archived != b.Archived {
				return boolOrder(!a.Archived, !b.Archived)
			}
			return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Name, b.Name))
		})
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b projectGroup) int {
		if a.Ongoing != b.Ongoing {
			return boolOrder(a.Ongoing, b.Ongoing)
		}
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// boolOrder puts true before false.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}
