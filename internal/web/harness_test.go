package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/api"
	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// harness is the real server (health, API and pages) over a testkit Env,
// its users logging in from a users file. Every user's login token is
// "login-<username>".
type harness struct {
	*testkit.Env
	t        testing.TB
	pages    *Handler
	handler  http.Handler
	devUsers []auth.DevUser
	sessions *countingSessions
	logins   Logins
}

// harnessOption changes how a harness is built.
type harnessOption func(*harnessConfig)

type harnessConfig struct {
	extra  []domain.User
	noDev  bool // job-server mode: no switch-user menu
	secure bool
	// proxies are the trusted proxies (AIRLOCK_TRUSTED_PROXIES).
	proxies auth.Proxies
	wrap    func(Logins) Logins
	checks  *checks.Checker
	svc     func(e *testkit.Env) *service.Service
}

// withService replaces the Env's service by the one mk builds (on a real
// workspace folder or request store, say).
func withService(mk func(e *testkit.Env) *service.Service) harnessOption {
	return func(c *harnessConfig) { c.svc = mk }
}

// withChecks makes the service check files with ck.
func withChecks(ck *checks.Checker) harnessOption {
	return func(c *harnessConfig) { c.checks = ck }
}

// withUsers adds users to the Env's cast (and to the users file).
func withUsers(us ...domain.User) harnessOption {
	return func(c *harnessConfig) { c.extra = append(c.extra, us...) }
}

// withLogins replaces the logins by a wrapper of the real ones.
func withLogins(wrap func(Logins) Logins) harnessOption {
	return func(c *harnessConfig) { c.wrap = wrap }
}

// withoutDevUsers builds the pages as with job-server: no switch-user menu.
func withoutDevUsers() harnessOption { return func(c *harnessConfig) { c.noDev = true } }

// withProxies trusts the proxies of list (as AIRLOCK_TRUSTED_PROXIES).
func withProxies(list string) harnessOption {
	return func(c *harnessConfig) {
		nets, err := (&config.Edge{TrustedProxies: list}).Proxies()
		if err != nil {
			panic(err)
		}
		c.proxies = auth.NewProxies(nets)
	}
}

// withSecureCookies sets Config.SecureCookies.
func withSecureCookies() harnessOption { return func(c *harnessConfig) { c.secure = true } }

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	var c harnessConfig
	for _, o := range opts {
		o(&c)
	}
	e := testkit.NewEnv(t)
	if c.checks != nil {
		e.Svc = service.New(service.Config{Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now, Checks: c.checks})
	}
	if c.svc != nil {
		e.Svc = c.svc(e)
	}
	for _, u := range c.extra {
		if _, err := e.Svc.PutUser(e.Ctx, testkit.UserJSON(u)); err != nil {
			t.Fatalf("put user: %v", err)
		}
	}
	// The users file, as an operator writes it.
	file := map[string]any{}
	for _, u := range append(e.Users(), c.extra...) {
		file[u.Username] = map[string]any{"token": "login-" + u.Username, "details": userDocument(u)}
	}
	raw, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	users, err := auth.LoadUsersFile(path)
	if err != nil {
		t.Fatalf("users file: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(server.LogHandler{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})})
	}
	var logins Logins = auth.NewLogin(auth.NewDevProvider(users), e.Svc, auth.LoginOptions{Logger: log, Now: e.Clock.Now})
	if c.wrap != nil {
		logins = c.wrap(logins)
	}
	sessions := &countingSessions{SessionStore: e.Svc}
	cfg := Config{Service: e.Svc, Logins: logins, Store: sessions, Logger: log, SecureCookies: c.secure, Proxies: c.proxies}
	if !c.noDev {
		cfg.DevUsers = users
	}
	pages, err := New(cfg)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	jsonAPI := api.New(api.Config{Service: e.Svc, Logins: logins, Tokens: auth.NewTokens(e.Svc, e.Clock.Now), Logger: log, Proxies: c.proxies})
	h := server.Handler(server.Config{DB: e.Store, Logger: log, Mount: func(mux *http.ServeMux) {
		jsonAPI.Register(mux)
		pages.Register(mux)
	}})
	return &harness{Env: e, t: t, pages: pages, handler: h, devUsers: users, sessions: sessions, logins: logins}
}

// userDocument is the job-server document of a user, with exactly the
// keys a users file must have for each workspace.
func userDocument(u domain.User) map[string]any {
	ws := func(m map[string]domain.WorkspaceInfo) map[string]any {
		out := map[string]any{}
		for name, info := range m {
			orgs := info.ProjectDetails.Orgs
			if orgs == nil {
				orgs = []string{}
			}
			out[name] = map[string]any{
				"project_details": map[string]any{"name": info.ProjectDetails.Name, "ongoing": info.ProjectDetails.Ongoing, "orgs": orgs},
				"archived":        info.Archived,
			}
		}
		return out
	}
	return map[string]any{
		"username": u.Username, "fullname": u.Fullname, "output_checker": u.OutputChecker,
		"readonly_access": u.ReadonlyAccess, "workspaces": ws(u.Workspaces), "copiloted_workspaces": ws(u.CopilotedWorkspaces),
	}
}

// countingSessions counts the writes to the session store.
type countingSessions struct {
	SessionStore
	mu      sync.Mutex
	commits int
}

func (c *countingSessions) SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error {
	c.mu.Lock()
	c.commits++
	c.mu.Unlock()
	return c.SessionStore.SessionCommit(ctx, token, data, expiry)
}

func (c *countingSessions) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.commits
}

// client is a browser-like HTTP client of a harness: it keeps cookies and
// does not follow redirects.
type client struct {
	t   testing.TB
	srv *httptest.Server
	c   *http.Client
}

// answer is a response with its body read.
type answer struct {
	*http.Response
	body string
}

func (h *harness) client(srv *httptest.Server) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	c := srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{t: h.t, srv: srv, c: c}
}

// server starts the harness's handler on a test server.
func (h *harness) server() *httptest.Server {
	srv := httptest.NewServer(h.handler)
	h.t.Cleanup(srv.Close)
	return srv
}

func (c *client) do(req *http.Request) answer {
	c.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read %s: %v", req.URL, err)
	}
	return answer{resp, string(b)}
}

func (c *client) get(path string, header ...string) answer {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, header ...string) answer {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// login logs in with the login form and fails the test unless it worked.
func (c *client) login(user string) {
	c.t.Helper()
	a := c.post("/login/", url.Values{"user": {user}, "token": {"login-" + user}})
	if a.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login as %s: status %d, want 303\n%s", user, a.StatusCode, a.body)
	}
}

// sessionCookie returns the session cookie the client holds, if any.
func (c *client) sessionCookie() string {
	u, _ := url.Parse(c.srv.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == cookieName {
			return ck.Value
		}
	}
	return ""
}
