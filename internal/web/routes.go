package web

import (
	"net/http"

	"github.com/airlock-go/airlock/internal/domain"
)

// pageFunc answers one page for the logged-in user u (the zero User on a
// public page when nobody is logged in). It writes its answer and returns
// nil, or returns an error for the error page: see fail in errors.go.
type pageFunc func(w http.ResponseWriter, r *http.Request, u domain.User) error

// route is one page: a net/http pattern, whether people who have not
// logged in may see it, and its handler.
type route struct {
	pattern string
	public  bool
	handle  pageFunc
}

// routes lists every page. Patterns end in {$} (or a {path...} wildcard)
// so that a page never answers for paths below it by accident.
func (h *Handler) routes() []route {
	var all []route
	all = append(all, h.baseRoutes()...)
	all = append(all, h.workspaceRoutes()...)
	all = append(all, h.requestRoutes()...)
	all = append(all, h.reviewRoutes()...)
	all = append(all, h.codeRoutes()...)
	return all
}

// baseRoutes are the pages of the foundation: login, the workspaces
// index, the component gallery and the user guide.
func (h *Handler) baseRoutes() []route {
	return []route{
		{"GET /{$}", false, h.home},
		{"GET /login/{$}", true, h.loginForm},
		{"POST /login/{$}", true, h.loginSubmit},
		{"GET /logout/{$}", false, h.logoutForm},
		{"POST /logout/{$}", false, h.logoutSubmit},
		{"POST /switch-user/{$}", false, h.switchUser},
		{"GET /workspaces/{$}", false, h.workspaces},
		{"GET /ui-components/{$}", false, h.uiComponents},
		{"GET /docs/{path...}", true, h.docs},
	}
}

// home sends people to the page most useful to them (domain's Landing):
// Reviews for output checkers, All Workspaces for read-only (support)
// users, their workspaces for researchers, their copiloted workspaces for
// copilots.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, u domain.User) error {
	http.Redirect(w, r, landingURL(u), http.StatusFound)
	return nil
}

// landingURL is the page of u's Landing.
func landingURL(u domain.User) string {
	switch u.Landing() {
	case domain.LandingReviews:
		return "/requests/output_checker"
	case domain.LandingAllWorkspaces:
		return "/workspaces/all/"
	case domain.LandingCopiloted:
		return "/copiloted-workspaces/"
	}
	return "/workspaces/"
}
