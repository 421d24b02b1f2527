package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/airlock-go/airlock/internal/domain"
)

// PageCSP is the Content-Security-Policy of every page: scripts, styles
// and frames from this site only, no inline script or style, no plugins,
// and nobody may frame the pages. The content endpoints that pages show
// in iframes set their own policy (package render), which replaces it.
const PageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// HSTS is the Strict-Transport-Security of every answer to a client that
// reached the site over HTTPS (or of every answer, with SecureCookies):
// browsers then use HTTPS only for a year.
const HSTS = "max-age=31536000"

// userKey carries the logged-in user in a request's context.
type userKey struct{}

// UserFrom returns the logged-in user of a page request.
func UserFrom(ctx context.Context) (domain.User, bool) {
	u, ok := ctx.Value(userKey{}).(domain.User)
	return u, ok
}

// page wraps a route with everything a page needs, outermost first:
// security headers, recovery from panics, the cross-origin check of
// unsafe methods (CSRF), the session, and the logged-in user (withUser
// also recovers from a panic of the handler, to show the 500 page with
// the user's header).
func (h *Handler) page(rt route) http.Handler {
	return h.secure(h.recover(h.csrf.Handler(h.withSession(h.withUser(rt)))))
}

// secure sets the headers every answer of the pages carries. Every answer
// is Cache-Control: no-store, so that nothing a logged-in person saw stays
// in the browser's cache (the Back button after logging out shows the
// login page, not the last user's page). Handlers may replace them (a
// content endpoint its own Content-Security-Policy; the static files,
// which hold nothing of anyone, their long caching).
func (h *Handler) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", PageCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		if h.isSecure(r) {
			hd.Set("Strict-Transport-Security", HSTS)
		}
		next.ServeHTTP(w, r)
	})
}

// recover turns a panic into the 500 page, never a dropped connection.
func (h *Handler) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer h.recovered(w, r)
		next.ServeHTTP(w, r)
	})
}

// recovered, deferred, answers a panic with the 500 page.
func (h *Handler) recovered(w http.ResponseWriter, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	h.log.ErrorContext(r.Context(), "panic in page handler", "path", r.URL.Path, "panic", p)
	h.fail(w, r, errors.New("panic"))
}

// withUser loads the logged-in user (refreshed from job-server when their
// details are old) into the request's context and runs the route. People
// who have not logged in are sent to the login page, unless the route is
// public.
func (h *Handler) withUser(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var u domain.User
		if name := h.sessions.GetString(ctx, sessionUser); name != "" {
			var err error
			u, err = h.logins.Current(ctx, name)
			switch {
			case errors.Is(err, domain.ErrNotFound):
				// Forgotten by the database: log in again.
				h.sessions.Remove(ctx, sessionUser)
				u = domain.User{}
			case err != nil:
				h.fail(w, r, err)
				return
			default:
				r = r.WithContext(context.WithValue(ctx, userKey{}, u))
			}
		}
		if u.Username == "" && !rt.public {
			h.toLogin(w, r)
			return
		}
		defer h.recovered(w, r)
		if err := errors.Join(domain.CheckText("the address", r.URL.Path), domain.CheckFields(r.URL.Query())); err != nil {
			h.fail(w, r, err)
			return
		}
		if err := rt.handle(w, r, u); err != nil {
			h.fail(w, r, err)
		}
	})
}

// toLogin sends someone who has not logged in to the login page, which
// brings them back here (GET requests only) once they have.
func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login/"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// redirect answers a form post: 303 See Other to target, or for htmx
// requests HX-Redirect (htmx then loads target as a whole page).
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, target string) {
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// isHTMX reports whether htmx sent the request (it wants a fragment).
func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// maxFormBytes bounds the body of a form post.
const maxFormBytes = 1 << 20

// parseForm reads a posted form, at most 1 MiB; a body that is too large
// or malformed, or any field that is not text (domain.CheckText), is
// invalid input.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return domain.Errorf(domain.ErrInvalidInput, "the form could not be read: %v", err)
	}
	return domain.CheckFields(r.Form)
}

// clientAddr is the address a request came from, for login throttling:
// X-Forwarded-For is believed from trusted proxies only.
func (h *Handler) clientAddr(r *http.Request) string { return h.proxies.ClientAddr(r) }

// isSecure reports whether the session cookie is marked Secure and
// Strict-Transport-Security sent: always by configuration, else when the
// client reached the site over HTTPS.
func (h *Handler) isSecure(r *http.Request) bool { return h.secureCookies || h.proxies.HTTPS(r) }
