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

// home sends people to the workspaces index.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	http.Redirect(w, r, "/workspaces/", http.StatusFound)
	return nil
}
