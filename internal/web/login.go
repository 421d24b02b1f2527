package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
)

// defaultNext is where people go after logging in.
const defaultNext = "/" // the user's landing page (home)

// loginView is the login form.
type loginView struct {
	User  string // as typed, shown again after a failure (never the token)
	Next  string
	Error string
}

// loginForm shows the login form; someone logged in already goes on.
func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request, u domain.User) error {
	next := domain.LocalRedirect(r.URL.Query().Get("next"), defaultNext)
	if u.Username != "" {
		http.Redirect(w, r, next, http.StatusFound)
		return nil
	}
	return h.render(w, r, http.StatusOK, "login", loginView{Next: next})
}

// loginSubmit checks the user and token, starts a session and goes on to
// next; a refusal shows the form again with the reason.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	user, token := r.PostForm.Get("user"), r.PostForm.Get("token")
	next := domain.LocalRedirect(r.PostForm.Get("next"), defaultNext)
	u, err := h.logins.Login(r.Context(), user, token, h.clientAddr(r))
	if err != nil {
		status, msg, ok := loginRefusal(err)
		if !ok {
			return err
		}
		var throttled *auth.ThrottledError
		if errors.As(err, &throttled) {
			w.Header().Set("Retry-After", strconv.Itoa(int(throttled.RetryAfter.Seconds())))
		}
		return h.render(w, r, status, "login", loginView{User: user, Next: next, Error: msg})
	}
	return h.logIn(w, r, u, next)
}

// logIn starts u's session and sends them on to next.
func (h *Handler) logIn(w http.ResponseWriter, r *http.Request, u domain.User, next string) error {
	if err := h.startSession(r.Context(), u); err != nil {
		return err
	}
	h.flash(r, FlashSuccess, "Logged in as "+u.Username)
	h.redirect(w, r, next)
	return nil
}

// loginRefusal is the status and message of the login form for a failed
// login: the person's mistake, too many attempts, or job-server's
// trouble. ok is false for anything else (a fault of the server).
func loginRefusal(err error) (status int, msg string, ok bool) {
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		secs := int(throttled.RetryAfter.Seconds())
		return http.StatusTooManyRequests, "Too many failed logins. Please wait " + plural(secs, "second", "seconds") +
			" before trying again.", true
	case errors.Is(err, auth.ErrInvalidCredentials):
		return http.StatusUnauthorized, "Invalid user or token", true
	case errors.Is(err, auth.ErrUnreachable):
		return http.StatusServiceUnavailable, "The jobs site (job-server) cannot be reached to log you in. Please try again later.", true
	case errors.Is(err, auth.ErrProviderError):
		return http.StatusServiceUnavailable, "The jobs site (job-server) could not log you in just now. Please try again later.", true
	}
	return 0, "", false
}

// logoutForm asks to confirm logging out. Logging out is a POST (the
// header's account menu has the button), so that another site cannot log
// people out with a link or an image; this page serves the GET link of
// the reference implementation.
func (h *Handler) logoutForm(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	return h.render(w, r, http.StatusOK, "logout", nil)
}

// logoutSubmit ends the session and goes to the login page.
func (h *Handler) logoutSubmit(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	if err := h.endSession(r.Context()); err != nil {
		return err
	}
	h.flash(r, FlashInfo, "You have been logged out.")
	h.redirect(w, r, "/login/")
	return nil
}

// switchUser logs in as another user of the users file (development and
// demo deployments only), with that user's token, which never reaches
// the browser.
func (h *Handler) switchUser(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	if h.devUsers == nil {
		return errorPage(http.StatusNotFound, "Switching user is only possible with a users file.")
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	name := r.PostForm.Get("username")
	for _, d := range h.devUsers {
		if d.User.Username != name {
			continue
		}
		u, err := h.logins.Login(r.Context(), d.User.Username, d.Token, h.clientAddr(r))
		if err != nil {
			if _, msg, ok := loginRefusal(err); ok {
				h.flash(r, FlashError, "Could not switch to "+name+": "+msg)
				h.redirect(w, r, defaultNext)
				return nil
			}
			return err
		}
		return h.logIn(w, r, u, defaultNext)
	}
	return domain.Errorf(domain.ErrInvalidInput, "there is no user %q in the users file", name)
}
