// Package apitest serves the real JSON API (internal/api) over a
// testkit.Env, on a local HTTP server, for tests of the API's clients: the
// Go client and `airlock client`. Every Env user can log in with the
// login token LoginToken gives, or be handed an API token by Token.
package apitest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/airlock-go/airlock/internal/api"
	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/testkit"
)

// Server is the API of an Env on a running HTTP server; its URL field is
// the base URL to give a client. It is closed when the test ends.
type Server struct {
	*httptest.Server
	Env    *testkit.Env
	tokens *auth.Tokens
}

// New serves the API of e, as `airlock serve` mounts it (the same
// middleware, health and metrics routes), with the development login
// provider holding every user of e.
func New(t testing.TB, e *testkit.Env) *Server {
	t.Helper()
	users := make([]auth.DevUser, 0, len(e.Users()))
	for _, u := range e.Users() {
		users = append(users, auth.DevUser{Token: LoginToken(u), User: u, Details: testkit.UserJSON(u)})
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	login := auth.NewLogin(auth.NewDevProvider(users), e.Svc, auth.LoginOptions{Logger: log, Now: e.Clock.Now})
	tokens := auth.NewTokens(e.Svc, e.Clock.Now)
	a := api.New(api.Config{Service: e.Svc, Logins: login, Tokens: tokens, Logger: log})
	s := &Server{
		Server: httptest.NewServer(server.Handler(server.Config{DB: e.Store, Logger: log, Mount: a.Register})),
		Env:    e,
		tokens: tokens,
	}
	t.Cleanup(s.Close)
	return s
}

// LoginToken is the token u logs in with (POST /api/v1/auth/token, or
// `airlock client login`).
func LoginToken(u domain.User) string { return "login-" + u.Username }

// Token issues an API token for u without logging in, for a test that
// starts from a session.
func (s *Server) Token(u domain.User) string {
	e := s.Env
	e.T.Helper()
	secret, _, err := s.tokens.Issue(e.Ctx, u.Username)
	e.OK(err)
	return secret
}
