package api

import (
	"errors"
	"net/http"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
)

func (a *API) createToken(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	var body tokenBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	u, err := a.logins.Login(r.Context(), body.User, body.Token, a.proxies.ClientAddr(r))
	if err != nil {
		return loginError(err)
	}
	secret, expires, err := a.tokens.Issue(r.Context(), u.Username)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tokenAnswer{Token: secret, ExpiresAt: ts(expires), User: userDoc{
		Username: u.Username, Fullname: u.Fullname, OutputChecker: u.OutputChecker, ReadonlyAccess: u.ReadonlyAccess,
	}})
	return nil
}

// loginError is the answer to a failed login: the person's mistake (401),
// too many attempts (429), or job-server's trouble (503), each with its
// own message.
func loginError(err error) error {
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		e := errorf(http.StatusTooManyRequests, "throttled", throttled.Error())
		e.RetryAfter = throttled.RetryAfter
		return e
	case errors.Is(err, auth.ErrInvalidCredentials):
		return errorf(http.StatusUnauthorized, "unauthenticated", "Invalid user or token")
	case errors.Is(err, auth.ErrUnreachable):
		return errorf(http.StatusServiceUnavailable, "unavailable", "job-server cannot be reached to log you in; try again later")
	case errors.Is(err, auth.ErrProviderError):
		return errorf(http.StatusServiceUnavailable, "unavailable", "job-server could not log you in; try again later")
	}
	return err
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	secret, _ := bearer(r)
	if err := a.tokens.Revoke(r.Context(), secret); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request, u domain.User) error {
	writeJSON(w, http.StatusOK, userDocument(u))
	return nil
}
