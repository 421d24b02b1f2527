// Package web is airlock's HTML pages: browsing workspaces, building,
// reviewing and releasing requests in a browser.
//
// Everything a page does goes through the service layer (package
// service); the only other thing it touches is the session store, which
// is infrastructure. The pages are plain: html/template templates parsed
// once from embedded files, one stylesheet, htmx vendored, and a small
// app.js. There are no inline scripts or event handlers, and every page
// is sent with a strict Content-Security-Policy.
//
// # Adding a page
//
// Write the handler in its own file (workspaces.go is an example). It
// gets the logged-in user, goes through the service layer, and either
// renders a template or returns an error, which becomes the error page
// (400, 403, 404, 409, 503, or a 500 that reveals nothing; see errors.go):
//
//	func (h *Handler) myPage(w http.ResponseWriter, r *http.Request, u domain.User) error {
//		data, err := h.svc.Something(r.Context(), u, r.PathValue("id"))
//		if err != nil {
//			return err
//		}
//		return h.render(w, r, http.StatusOK, "mypage", data)
//	}
//
// Its template, templates/mypage.html, defines "title" and "content"; it
// reads its data as .Data and the logged-in user as .User (see view in
// render.go). Then add a line to routes() in routes.go:
//
//	{"GET /my/page/{id}/{$}", false, h.myPage},
//
// After a POST a handler usually adds a flash message (h.flash) and
// redirects (h.redirect, which answers htmx requests with HX-Redirect).
// web.UserFrom(ctx) also gives the logged-in user.
package web

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// Logins checks credentials and returns users, refreshed when stale
// (auth.Login implements it).
type Logins interface {
	// Login checks a user's credentials; clientAddr is used to throttle
	// failed attempts.
	Login(ctx context.Context, user, token, clientAddr string) (domain.User, error)
	// Current returns a logged-in user, refreshing their details when
	// they are old; an error wrapping domain.ErrNotFound when unknown.
	Current(ctx context.Context, username string) (domain.User, error)
}

// SessionStore keeps the web sessions (service.Service implements it).
type SessionStore interface {
	SessionFind(ctx context.Context, token string) ([]byte, bool, error)
	SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error
	SessionDelete(ctx context.Context, token string) error
	SessionDeleteExpired(ctx context.Context, now time.Time) error
}

// Config holds what the pages need.
type Config struct {
	Service *service.Service
	Logins  Logins
	// DevUsers are the users of the users file, offered in the header's
	// "switch user" menu; nil with job-server, which turns the menu off.
	DevUsers []auth.DevUser
	// Store keeps the sessions.
	Store  SessionStore
	Logger *slog.Logger
	// SecureCookies marks the session cookie Secure, and sends
	// Strict-Transport-Security, on every answer. When false they are
	// sent only to clients that reached the site over HTTPS: over TLS, or
	// through a trusted proxy that says so (X-Forwarded-Proto).
	SecureCookies bool
	// Proxies are the reverse proxies whose forwarding headers are
	// believed (the client's address for login throttling, HTTPS).
	Proxies auth.Proxies
	// ReleaseTarget says where released files go, for the release
	// confirmation: "uploaded to job-server at jobs.example.org" (see
	// release.Describe). Empty means the same words without the place.
	ReleaseTarget string
}

// Handler serves the pages.
type Handler struct {
	svc           *service.Service
	logins        Logins
	devUsers      []auth.DevUser
	log           *slog.Logger
	releaseTarget string // where released files go, for people
	sessions      *scs.SessionManager
	store         SessionStore
	secureCookies bool
	proxies       auth.Proxies
	pages         map[string]*template.Template // by page name: templates/<name>.html with the layout
	rendered      *pageCache                    // request pages already rendered
	static        *staticFiles
	csrf          *http.CrossOriginProtection
	now           func() time.Time // the clock sessions are renewed by; tests change it
}

// New builds the pages; it fails only if the embedded templates or
// static files are broken.
func New(cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{
		svc: cfg.Service, logins: cfg.Logins, devUsers: cfg.DevUsers, log: cfg.Logger,
		store: cfg.Store, secureCookies: cfg.SecureCookies, proxies: cfg.Proxies, now: time.Now, rendered: newPageCache(),
		releaseTarget: cmp.Or(cfg.ReleaseTarget, "they will be sent to the release target airlock is configured with"),
	}
	var err error
	if h.static, err = loadStatic(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if h.pages, err = parseTemplates(h.funcs()); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	h.sessions = newSessionManager(cfg.Store)
	h.csrf = http.NewCrossOriginProtection()
	h.csrf.SetDenyHandler(http.HandlerFunc(h.crossOriginDenied))
	return h, nil
}

// Register adds the pages and the static files to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/{name}", h.secure(http.HandlerFunc(h.static.serve)))
	for _, rt := range h.routes() {
		mux.Handle(rt.pattern, h.page(rt))
	}
	// Anything else is not found (after logging in, so that visitors learn
	// nothing of what exists).
	mux.Handle("/", h.page(route{"/", false, h.notFound}))
}

// RunSessionCleanup deletes expired sessions now and then every interval
// until ctx ends.
func (h *Handler) RunSessionCleanup(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		h.cleanSessions(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cleanSessions deletes the sessions that have expired.
func (h *Handler) cleanSessions(ctx context.Context) {
	if err := h.store.SessionDeleteExpired(ctx, h.now()); err != nil && ctx.Err() == nil {
		h.log.WarnContext(ctx, "deleting expired sessions failed", "err", err)
	}
}
