// Package api is airlock's JSON API (the contract in docs/api.md): every
// user action, over the service layer, with bearer tokens.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// Logins checks credentials and returns users, refreshed when stale.
type Logins interface {
	Login(ctx context.Context, user, token, clientAddr string) (domain.User, error)
	Current(ctx context.Context, username string) (domain.User, error)
}

// Tokens issues and checks API tokens.
type Tokens interface {
	Issue(ctx context.Context, username string) (secret string, expiresAt time.Time, err error)
	Check(ctx context.Context, secret string) (username string, err error)
	Revoke(ctx context.Context, secret string) error
}

// Config holds what the API needs.
type Config struct {
	Service *service.Service
	Logins  Logins
	Tokens  Tokens
	Logger  *slog.Logger
	// Proxies are the reverse proxies whose X-Forwarded-For is believed
	// (the client's address for login throttling).
	Proxies auth.Proxies
}

// API serves the JSON API.
type API struct {
	svc     *service.Service
	logins  Logins
	tokens  Tokens
	log     *slog.Logger
	proxies auth.Proxies
}

// New builds the API.
func New(cfg Config) *API {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &API{svc: cfg.Service, logins: cfg.Logins, tokens: cfg.Tokens, log: cfg.Logger, proxies: cfg.Proxies}
}

// handlerFunc is an API handler: it writes a success, or returns the error
// to answer with.
type handlerFunc func(w http.ResponseWriter, r *http.Request, u domain.User) error

// route is one call of the API, with what its OpenAPI description needs.
type route struct {
	Method  string
	Path    string // under Prefix, in net/http pattern syntax
	Summary string
	Public  bool         // no token needed
	Status  int          // the success status
	Body    any          // the request body's type, if any
	Answer  any          // the success body's type, if any
	Query   []queryParam // the query parameters it reads, for the OpenAPI document
	handle  handlerFunc
}

// Register adds every route to mux.
func (a *API) Register(mux *http.ServeMux) { a.register(mux) }

// router is the part of a ServeMux the API registers on.
type router interface {
	Handle(pattern string, h http.Handler)
	HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request))
}

func (a *API) register(mux router) {
	for _, rt := range a.routes() {
		mux.Handle(rt.Method+" "+Prefix+rt.Path, a.wrap(rt))
	}
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		a.writeError(w, r, errorf(http.StatusNotFound, "not_found", "no such API call: "+r.Method+" "+r.URL.Path))
	})
}

// wrap authenticates the caller (unless the route is public) and turns a
// returned error into its answer. A panic becomes a 500, never a dropped
// connection. No answer may be kept in a cache (Cache-Control: no-store),
// the file contents included.
func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		defer func() {
			if p := recover(); p != nil {
				a.log.ErrorContext(r.Context(), "panic in API handler", "path", r.URL.Path, "panic", p)
				a.writeError(w, r, errors.New("panic"))
			}
		}()
		var u domain.User
		if !rt.Public {
			var err error
			if u, err = a.caller(r); err != nil {
				a.writeError(w, r, err)
				return
			}
		}
		if err := errors.Join(domain.CheckText("the address", r.URL.Path), domain.CheckFields(r.URL.Query())); err != nil {
			a.writeError(w, r, err)
			return
		}
		if err := rt.handle(w, r, u); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// caller returns the user whose token the request carries.
func (a *API) caller(r *http.Request) (domain.User, error) {
	secret, ok := bearer(r)
	if !ok {
		return domain.User{}, errUnauthenticated
	}
	name, err := a.tokens.Check(r.Context(), secret)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return domain.User{}, errUnauthenticated
	}
	if err != nil {
		return domain.User{}, err
	}
	u, err := a.logins.Current(r.Context(), name)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.User{}, errUnauthenticated
	}
	return u, err
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return "", false
	}
	return strings.TrimSpace(secret), true
}
