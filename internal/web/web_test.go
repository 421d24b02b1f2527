package web

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

func TestAnonymousVisitorsAreSentToLogin(t *testing.T) {
	h := newHarness(t)
	c := h.client(h.server())
	for _, path := range []string{"/", "/workspaces/", "/workspaces/?x=1&y=%2F", "/requests/view/01ABC/", "/no/such/page"} {
		a := c.get(path)
		if a.StatusCode != http.StatusFound {
			t.Errorf("GET %s: status %d, want 302", path, a.StatusCode)
			continue
		}
		want := "/login/?next=" + url.QueryEscape(path)
		if got := a.Header.Get("Location"); got != want {
			t.Errorf("GET %s: Location %q, want %q", path, got, want)
		}
	}
	// A form post is not replayed after login.
	a := c.post("/logout/", nil)
	if a.StatusCode != http.StatusFound || a.Header.Get("Location") != "/login/" {
		t.Errorf("anonymous POST: %d to %q, want 302 to /login/", a.StatusCode, a.Header.Get("Location"))
	}
	// htmx is told where to go.
	a = c.get("/workspaces/", "HX-Request", "true")
	if a.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(a.Header.Get("HX-Redirect"), "/login/?next=") {
		t.Errorf("anonymous htmx GET: %d, HX-Redirect %q", a.StatusCode, a.Header.Get("HX-Redirect"))
	}
	// The login page, the docs and static files need no login.
	if a := c.get("/login/"); a.StatusCode != http.StatusOK {
		t.Errorf("GET /login/: %d", a.StatusCode)
	}
	if a := c.get("/docs/how-to/access-airlock/"); a.StatusCode == http.StatusFound {
		t.Errorf("GET /docs/...: sent to login")
	}
	css, _ := h.pages.static.url("style.css")
	if a := c.get(css); a.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d", css, a.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	c := h.client(h.server())
	check := func(what string, a answer) {
		t.Helper()
		for k, want := range map[string]string{
			"Content-Security-Policy": PageCSP,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
		} {
			if got := a.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", what, k, got, want)
			}
		}
	}
	check("login page", c.get("/login/"))
	check("redirect to login", c.get("/workspaces/"))
	c.login("author")
	check("workspaces", c.get("/workspaces/"))
	check("not found", c.get("/nothing/here"))
	for _, directive := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(PageCSP, directive) {
			t.Errorf("PageCSP lacks %q", directive)
		}
	}
	// No page has an inline script, style or event handler: the CSP would
	// block it, so it would be a bug.
	for _, path := range []string{"/login/", "/workspaces/", "/logout/", "/nothing/here"} {
		if problem := inlineCode(c.get(path).body); problem != "" {
			t.Errorf("%s: %s", path, problem)
		}
	}
}

// inlineCode finds inline scripts, styles or event handlers in a page
// (the CSP would block them, so each would be a bug).
func inlineCode(page string) string {
	for _, m := range regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(m[1], " src=") || strings.TrimSpace(m[2]) != "" {
			return "inline script " + m[0]
		}
	}
	if m := regexp.MustCompile(`(?i)<style|\sstyle=|\son[a-z]+=`).FindString(page); m != "" {
		return "inline style or handler " + m
	}
	return ""
}

func TestLoginForm(t *testing.T) {
	h := newHarness(t)
	c := h.client(h.server())

	a := c.post("/login/", url.Values{"user": {"author"}, "token": {"wrong-token"}, "next": {"/workspaces/"}})
	if a.StatusCode != http.StatusUnauthorized || !strings.Contains(a.body, "Invalid user or token") {
		t.Errorf("wrong token: status %d, body lacks the message:\n%s", a.StatusCode, a.body)
	}
	if !strings.Contains(a.body, `value="author"`) || strings.Contains(a.body, "wrong-token") {
		t.Errorf("wrong token: the form should keep the user and forget the token")
	}
	if c.sessionCookie() != "" {
		t.Errorf("a failed login started a session")
	}

	c.login("author")
	if c.sessionCookie() == "" {
		t.Fatalf("no session cookie after login")
	}
	a = c.get("/workspaces/")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, "Logged in as author") {
		t.Errorf("after login: %d, want the page with the flash message", a.StatusCode)
	}
	if a := c.get("/workspaces/"); strings.Contains(a.body, "Logged in as author</div>") {
		t.Errorf("the flash message is shown twice")
	}
	// Logged in, the login page goes on.
	if a := c.get("/login/?next=/requests/"); a.StatusCode != http.StatusFound || a.Header.Get("Location") != "/requests/" {
		t.Errorf("login page when logged in: %d to %q", a.StatusCode, a.Header.Get("Location"))
	}
	// The root goes to the workspaces.
	if a := c.get("/"); a.StatusCode != http.StatusFound || a.Header.Get("Location") != "/workspaces/" {
		t.Errorf("GET /: %d to %q", a.StatusCode, a.Header.Get("Location"))
	}
}

func TestLoginNextMustBeLocal(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	for next, want := range map[string]string{
		"/requests/view/01ABC/":  "/requests/view/01ABC/",
		"/workspaces/?q=a":       "/workspaces/?q=a",
		"":                       "/",
		"//evil.example":         "/",
		"//evil.example/x":       "/",
		"https://evil.example/":  "/",
		"/\\evil.example":        "/",
		"javascript:alert(1)":    "/",
		"/ok\r\nSet-Cookie: x=1": "/",
	} {
		c := h.client(srv)
		// The form carries next from the query, cleaned.
		form := c.get("/login/?next=" + url.QueryEscape(next))
		if !strings.Contains(form.body, `name="next" value="`+html.EscapeString(want)+`"`) {
			t.Errorf("login form for next=%q does not carry %q", next, want)
		}
		a := c.post("/login/", url.Values{"user": {"author"}, "token": {"login-author"}, "next": {next}})
		if got := a.Header.Get("Location"); a.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("next=%q: %d to %q, want 303 to %q", next, a.StatusCode, got, want)
		}
		// Logged in, the login page goes on to next, or home.
		if a := c.get("/login/?next=" + url.QueryEscape(next)); a.StatusCode != http.StatusFound || a.Header.Get("Location") != want {
			t.Errorf("login page when logged in, next=%q: %d to %q", next, a.StatusCode, a.Header.Get("Location"))
		}
	}
}

func TestLoginRefusals(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		msg    string
	}{
		{auth.ErrInvalidCredentials, http.StatusUnauthorized, "Invalid user or token"},
		{fmt.Errorf("login: %w", auth.ErrUnreachable), http.StatusServiceUnavailable, "cannot be reached"},
		{&auth.ProviderError{Op: "authenticate", Status: 502}, http.StatusServiceUnavailable, "could not log you in"},
		{auth.ThrottledError{RetryAfter: 42 * time.Second}, http.StatusTooManyRequests, "Please wait 42 seconds"},
	} {
		h := newHarness(t, withLogins(func(l Logins) Logins { return failingLogins{l, tt.err} }))
		c := h.client(h.server())
		a := c.post("/login/", url.Values{"user": {"author"}, "token": {"login-author"}})
		if a.StatusCode != tt.status || !strings.Contains(a.body, tt.msg) {
			t.Errorf("%v: status %d, want %d with %q", tt.err, a.StatusCode, tt.status, tt.msg)
		}
		if _, throttled := tt.err.(auth.ThrottledError); throttled && a.Header.Get("Retry-After") != "42" {
			t.Errorf("throttled: Retry-After %q, want 42", a.Header.Get("Retry-After"))
		}
	}
	// Any other failure is the server's: a 500 page that says nothing of it.
	h := newHarness(t, withLogins(func(l Logins) Logins { return failingLogins{l, errors.New("database on fire")} }))
	a := h.client(h.server()).post("/login/", url.Values{"user": {"author"}, "token": {"login-author"}})
	if a.StatusCode != http.StatusInternalServerError || strings.Contains(a.body, "on fire") {
		t.Errorf("unexpected failure: %d\n%s", a.StatusCode, a.body)
	}
}

// failingLogins refuses every login with err.
type failingLogins struct {
	Logins
	err error
}

func (f failingLogins) Login(context.Context, string, string, string) (domain.User, error) {
	return domain.User{}, f.err
}

func TestLoginThrottled(t *testing.T) {
	h := newHarness(t)
	c := h.client(h.server())
	var a answer
	for range 11 {
		a = c.post("/login/", url.Values{"user": {"author"}, "token": {"nope"}})
	}
	if a.StatusCode != http.StatusTooManyRequests || a.Header.Get("Retry-After") == "" || !strings.Contains(a.body, "Too many failed logins") {
		t.Errorf("11th failed login: %d, Retry-After %q", a.StatusCode, a.Header.Get("Retry-After"))
	}
}

func TestSessionCookie(t *testing.T) {
	h := newHarness(t)
	c := h.client(h.server())
	a := c.post("/login/", url.Values{"user": {"author"}, "token": {"login-author"}})
	var ck *http.Cookie
	for _, x := range a.Cookies() {
		if x.Name == cookieName {
			ck = x
		}
	}
	if ck == nil {
		t.Fatalf("no %s cookie on login", cookieName)
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP, Path=/", ck)
	}
	if d := time.Duration(ck.MaxAge) * time.Second; d < idleTimeout-time.Minute || d > idleTimeout+time.Minute {
		t.Errorf("cookie lives %v, want the idle timeout %v", d, idleTimeout)
	}

	// Secure by configuration, and over TLS.
	for name, h := range map[string]*harness{"configured": newHarness(t, withSecureCookies()), "tls": newHarness(t)} {
		srv := h.server()
		if name == "tls" {
			srv = httptest.NewUnstartedServer(h.handler)
			srv.TLS = &tls.Config{}
			srv.StartTLS()
			t.Cleanup(srv.Close)
		}
		a := h.client(srv).post("/login/", url.Values{"user": {"author"}, "token": {"login-author"}})
		for _, x := range a.Cookies() {
			if x.Name == cookieName && !x.Secure {
				t.Errorf("%s: cookie not Secure", name)
			}
		}
	}
}

func TestSessionTokenRenewedOnLoginAndLogout(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	c := h.client(srv)
	u, _ := url.Parse(srv.URL)
	// A token planted before login is not the one logged in.
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: "planted"}})
	c.login("author")
	before := c.sessionCookie()
	if before == "" || before == "planted" {
		t.Fatalf("session token after login: %q", before)
	}
	// Logging in again (switching user) gives a new token too.
	if a := c.post("/switch-user/", url.Values{"username": {"c1"}}); a.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch user: %d", a.StatusCode)
	}
	switched := c.sessionCookie()
	if switched == before {
		t.Errorf("switching user kept the session token")
	}
	// Logging out: a new token, and the old one is worthless.
	a := c.post("/logout/", nil)
	if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/login/" {
		t.Errorf("logout: %d to %q", a.StatusCode, a.Header.Get("Location"))
	}
	if after := c.sessionCookie(); after == switched {
		t.Errorf("logout kept the session token")
	}
	if a := c.get("/login/"); !strings.Contains(a.body, "You have been logged out") {
		t.Errorf("no logout message on the login page")
	}
	if a := c.get("/workspaces/"); a.StatusCode != http.StatusFound {
		t.Errorf("after logout: %d, want a redirect to login", a.StatusCode)
	}
	old := h.client(srv)
	old.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: switched}})
	if a := old.get("/workspaces/"); a.StatusCode != http.StatusFound {
		t.Errorf("the session token of before logout still works: %d", a.StatusCode)
	}
	// The logout link's page asks first.
	c.login("author")
	if a := c.get("/logout/"); a.StatusCode != http.StatusOK || !strings.Contains(a.body, `action="/logout/"`) {
		t.Errorf("GET /logout/: %d", a.StatusCode)
	}
}

func TestSessionWrittenOnlyWhenChanged(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	h.pages.now = func() time.Time { return now }
	c := h.client(h.server())
	c.login("author")
	c.get("/workspaces/") // shows and removes the flash message: a write
	base := h.sessions.count()
	for range 5 {
		a := c.get("/workspaces/")
		if a.StatusCode != http.StatusOK {
			t.Fatalf("GET /workspaces/: %d", a.StatusCode)
		}
		if len(a.Cookies()) != 0 {
			t.Errorf("a request that changed nothing set a cookie: %v", a.Header.Values("Set-Cookie"))
		}
	}
	if n := h.sessions.count() - base; n != 0 {
		t.Errorf("%d session writes for requests that changed nothing, want 0", n)
	}
	// An hour later the expiry is moved on: one write, and the cookie again.
	now = now.Add(renewEvery)
	a := c.get("/workspaces/")
	if n := h.sessions.count() - base; n != 1 {
		t.Errorf("%d session writes on renewal, want 1", n)
	}
	if len(a.Cookies()) != 1 {
		t.Errorf("renewal did not send the cookie")
	}
	// Visitors who are not logged in leave nothing in the database.
	base = h.sessions.count()
	anon := h.client(h.server())
	anon.get("/login/")
	anon.get("/workspaces/")
	anon.post("/login/", url.Values{"user": {"author"}, "token": {"bad"}})
	if n := h.sessions.count() - base; n != 0 || anon.sessionCookie() != "" {
		t.Errorf("anonymous visits wrote %d sessions (cookie %q)", n, anon.sessionCookie())
	}
}

func TestSessionsSurviveARestart(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	c := h.client(srv)
	c.login("author")
	// Another server on the same database knows the session.
	other, err := New(Config{Service: h.Svc, Logins: h.logins, Store: h.Svc})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	other.Register(mux)
	req := httptest.NewRequest(http.MethodGet, "/workspaces/", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: c.sessionCookie()})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Logged in as <strong>author</strong>") {
		t.Errorf("the session is not known to another server on the database: %d", rec.Code)
	}
}

func TestSessionCleanup(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	h.OK(h.Store.SessionCommit(ctx, "live", []byte("x"), time.Now().Add(time.Hour)))
	h.pages.cleanSessions(ctx)
	if _, found, _ := h.Store.SessionFind(ctx, "live"); !found {
		t.Errorf("cleanup removed a live session")
	}
	h.pages.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	h.pages.cleanSessions(ctx)
	if _, found, _ := h.Store.SessionFind(ctx, "live"); found {
		t.Errorf("cleanup kept a session that had expired by its clock")
	}
	// The loop stops with its context.
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); h.pages.RunSessionCleanup(cctx, time.Millisecond) }()
	time.Sleep(5 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("RunSessionCleanup did not stop")
	}
}

func TestSessionCodec(t *testing.T) {
	values := map[string]any{"user": "alice", "renewed": int64(42), "flashes": []Flash{{"info", "x"}}, "a": true, "b": "c"}
	deadline := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	first, err := sessionCodec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := sessionCodec{}.Encode(deadline, values)
		if string(again) != string(first) {
			t.Fatalf("the same session encodes to different bytes")
		}
	}
	d, got, err := sessionCodec{}.Decode(first)
	if err != nil || !d.Equal(deadline) || got["user"] != "alice" || got["renewed"] != int64(42) {
		t.Errorf("decode: %v %v %v", d, got, err)
	}
	if f, ok := got["flashes"].([]Flash); !ok || len(f) != 1 || f[0].Message != "x" {
		t.Errorf("flashes did not round-trip: %#v", got["flashes"])
	}
	for _, bad := range []string{"garbage", `{"values":[{"k":"x"}]}`, ""} {
		if _, _, err := (sessionCodec{}).Decode([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	if _, err := (sessionCodec{}).Encode(deadline, map[string]any{"n": 3.5}); err == nil {
		t.Errorf("a float was encoded; sessions keep only string, int64, bool and []Flash")
	}
	// An empty list of flashes stays a list of flashes.
	b, err := sessionCodec{}.Encode(deadline, map[string]any{"flashes": []Flash{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := (sessionCodec{}).Decode(b); err != nil {
		t.Errorf("empty flashes: %v", err)
	} else if _, ok := got["flashes"].([]Flash); !ok {
		t.Errorf("empty flashes: %#v %v", got, err)
	}
}

func TestUnreadableSessionStartsAfresh(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	c := h.client(srv)
	// A session row whose data does not decode (a codec from another
	// version): the visitor is simply not logged in.
	token := "unreadable-token"
	h.OK(h.Store.SessionCommit(t.Context(), hashToken(token), []byte("not gob"), time.Now().Add(time.Hour)))
	u, _ := url.Parse(srv.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: token}})
	if a := c.get("/workspaces/"); a.StatusCode != http.StatusFound {
		t.Errorf("unreadable session: %d, want a redirect to login", a.StatusCode)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	h := newHarness(t)
	c := h.client(h.server())
	c.login("author")
	a := c.post("/logout/", nil, "Sec-Fetch-Site", "cross-site")
	if a.StatusCode != http.StatusForbidden || !strings.Contains(a.body, "another site") {
		t.Errorf("cross-site POST: %d", a.StatusCode)
	}
	a = c.post("/logout/", nil, "Origin", "https://evil.example")
	if a.StatusCode != http.StatusForbidden {
		t.Errorf("POST from another origin: %d", a.StatusCode)
	}
	if a := c.get("/workspaces/"); a.StatusCode != http.StatusOK {
		t.Errorf("the refused logout logged out: %d", a.StatusCode)
	}
	// The same site may post.
	if a := c.post("/logout/", nil, "Sec-Fetch-Site", "same-origin"); a.StatusCode != http.StatusSeeOther {
		t.Errorf("same-origin POST: %d", a.StatusCode)
	}
}

func TestSwitchUser(t *testing.T) {
	h := newHarness(t)
	c := h.client(h.server())
	c.login("author")
	page := c.get("/workspaces/").body
	if !strings.Contains(page, `action="/switch-user/"`) || strings.Contains(page, "login-c1") {
		t.Errorf("switch-user menu missing, or showing tokens")
	}
	a := c.post("/switch-user/", url.Values{"username": {"c1"}})
	if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/" {
		t.Fatalf("switch user: %d to %q", a.StatusCode, a.Header.Get("Location"))
	}
	if page := c.get("/workspaces/").body; !strings.Contains(page, "Logged in as <strong>c1</strong>") {
		t.Errorf("not logged in as c1 after switching")
	}
	if a := c.post("/switch-user/", url.Values{"username": {"nobody"}}); a.StatusCode != http.StatusBadRequest {
		t.Errorf("switch to an unknown user: %d, want 400", a.StatusCode)
	}

	// Without a users file there is no menu and no switching.
	h = newHarness(t, withoutDevUsers())
	c = h.client(h.server())
	c.login("author")
	if strings.Contains(c.get("/workspaces/").body, "/switch-user/") {
		t.Errorf("switch-user menu shown without a users file")
	}
	if a := c.post("/switch-user/", url.Values{"username": {"c1"}}); a.StatusCode != http.StatusNotFound {
		t.Errorf("switch user without a users file: %d, want 404", a.StatusCode)
	}
	// Nor may someone not logged in switch.
	anon := h.client(h.server())
	if a := anon.post("/switch-user/", url.Values{"username": {"c1"}}); a.StatusCode != http.StatusFound {
		t.Errorf("anonymous switch: %d, want a redirect to login", a.StatusCode)
	}
}

func TestNavigation(t *testing.T) {
	e := testkit.NewEnv(t)
	labels := func(u domain.User) []string {
		var out []string
		for _, it := range navFor(u, "/workspaces/") {
			out = append(out, it.Label)
		}
		return out
	}
	for _, tt := range []struct {
		u    domain.User
		want []string
	}{
		{e.Author, []string{"Workspaces & Requests", "Docs"}},
		{e.C1, []string{"Workspaces & Requests", "Reviews", "Docs"}},
		{e.ReadOnly, []string{"Workspaces & Requests", "All Workspaces", "Docs"}},
		{e.Copilot, []string{"Workspaces & Requests", "Copiloted Workspaces", "Docs"}},
	} {
		if got := labels(tt.u); !slices.Equal(got, tt.want) {
			t.Errorf("%s: nav %v, want %v", tt.u.Username, got, tt.want)
		}
	}
	active := func(p string) string {
		for _, it := range navFor(e.ReadOnly, p) {
			if it.Active {
				return it.Label
			}
		}
		return ""
	}
	for p, want := range map[string]string{
		"/workspaces/": "Workspaces & Requests", "/workspaces/view/ws/": "Workspaces & Requests",
		"/requests/view/x/": "Workspaces & Requests", "/workspaces/all/": "All Workspaces", "/docs/": "Docs",
	} {
		if got := active(p); got != want {
			t.Errorf("active on %s: %q, want %q", p, got, want)
		}
	}
}

func TestErrorStatuses(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{domain.Errorf(domain.ErrInvalidInput, "bad"), http.StatusBadRequest},
		{domain.Errorf(domain.ErrPermissionDenied, "no"), http.StatusForbidden},
		{fmt.Errorf("wrapped: %w", domain.Errorf(domain.ErrPermissionDenied, "no")), http.StatusForbidden},
		{domain.Errorf(domain.ErrNotFound, "gone"), http.StatusNotFound},
		{domain.Errorf(domain.ErrInvalidTransition, "not now"), http.StatusConflict},
		{domain.Errorf(domain.ErrPolicy, "rule"), http.StatusConflict},
		{domain.Errorf(domain.ErrUnavailable, "down"), http.StatusServiceUnavailable},
		{errorPage(http.StatusTeapot, "tea"), http.StatusTeapot},
		{errors.New("boom"), http.StatusInternalServerError},
	} {
		if got := statusOf(tt.err); got != tt.want {
			t.Errorf("statusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorPages(t *testing.T) {
	h := newHarness(t)
	secret := "sqlite: disk I/O error at /secret/path"
	handlers := map[string]pageFunc{
		"/denied": func(http.ResponseWriter, *http.Request, domain.User) error {
			return fmt.Errorf("service: %w", domain.Errorf(domain.ErrPermissionDenied, "author may not review their own request"))
		},
		"/bad": func(http.ResponseWriter, *http.Request, domain.User) error {
			return domain.Errorf(domain.ErrInvalidInput, "bad path")
		},
		"/fault": func(http.ResponseWriter, *http.Request, domain.User) error { return errors.New(secret) },
		"/panic": func(http.ResponseWriter, *http.Request, domain.User) error { panic(secret) },
	}
	mux := http.NewServeMux()
	h.pages.Register(mux)
	for path, fn := range handlers {
		mux.Handle("GET "+path, h.pages.page(route{path, false, fn}))
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := h.client(srv)
	c.login("author")
	for path, want := range map[string]struct {
		status int
		text   string
	}{
		"/denied":     {http.StatusForbidden, "author may not review their own request"},
		"/bad":        {http.StatusBadRequest, "bad path"},
		"/fault":      {http.StatusInternalServerError, "Something went wrong"},
		"/panic":      {http.StatusInternalServerError, "Something went wrong"},
		"/no/such/pg": {http.StatusNotFound, "Page not found"},
	} {
		a := c.get(path)
		if a.StatusCode != want.status || !strings.Contains(a.body, want.text) {
			t.Errorf("GET %s: %d, want %d with %q", path, a.StatusCode, want.status, want.text)
		}
		if strings.Contains(a.body, "secret") {
			t.Errorf("GET %s reveals the error: %s", path, a.body)
		}
		if !strings.Contains(a.body, "Logged in as") {
			t.Errorf("GET %s: the error page lacks the header", path)
		}
		// htmx gets the content only.
		hx := c.get(path, "HX-Request", "true")
		if hx.StatusCode != want.status || strings.Contains(hx.body, "<html") {
			t.Errorf("htmx GET %s: %d, whole page %v", path, hx.StatusCode, strings.Contains(hx.body, "<html"))
		}
	}
}

func TestStaticFiles(t *testing.T) {
	h := newHarness(t)
	c := h.client(h.server())
	for _, name := range []string{"style.css", "app.js", "htmx.min.js", "favicon.svg"} {
		u, err := h.pages.static.url(name)
		if err != nil {
			t.Fatalf("static url of %s: %v", name, err)
		}
		if !regexp.MustCompile(`^/static/[a-z.]+\.[0-9a-f]{12}\.[a-z]+$`).MatchString(u) {
			t.Errorf("URL of %s: %q, want a hashed name", name, u)
		}
		a := c.get(u)
		if a.StatusCode != http.StatusOK || a.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d, Cache-Control %q", u, a.StatusCode, a.Header.Get("Cache-Control"))
		}
		plain := c.get("/static/" + name)
		if plain.StatusCode != http.StatusOK || plain.Header.Get("Cache-Control") != "no-cache" || plain.body != a.body {
			t.Errorf("/static/%s: %d, Cache-Control %q", name, plain.StatusCode, plain.Header.Get("Cache-Control"))
		}
		if a := c.get(u, "If-None-Match", a.Header.Get("ETag")); a.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", u, a.StatusCode)
		}
	}
	for _, bad := range []string{"/static/VENDOR.md", "/static/style.000000000000.css", "/static/../web.go", "/static/"} {
		if a := c.get(bad); a.StatusCode != http.StatusNotFound && a.StatusCode/100 != 3 {
			t.Errorf("GET %s: %d, want 404 (or a redirect to a cleaned path, or to login)", bad, a.StatusCode)
		}
	}
	if a := c.get("/static/app.js"); a.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("app.js Content-Type %q", a.Header.Get("Content-Type"))
	}
}

func TestWorkspacesPage(t *testing.T) {
	h := newHarness(t)
	// The author's requests: one withdrawn, one released, one current.
	withdrawn := h.RequestIn(h.Author, domain.StatusWithdrawn)
	released := h.RequestIn(h.Author, domain.StatusReleased)
	current := h.Pending(h.Author, "out/c.csv")
	h.Submitted(h.Colleague) // not the author's: not listed
	c := h.client(h.server())
	c.login("author")
	body := c.get("/workspaces/").body
	for _, want := range []string{
		"Project ws", `href="/workspaces/view/ws/"`,
		`href="/requests/view/` + current.ID + `/"`, domain.ShortID(current.ID),
		domain.ShortID(released.ID), domain.ShortID(withdrawn.ID),
		">Released<", ">Withdrawn<", ">Pending<", "3 release requests",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("workspaces page lacks %q", want)
		}
	}
	// Newest first.
	if i, j := strings.Index(body, domain.ShortID(released.ID)), strings.Index(body, domain.ShortID(withdrawn.ID)); i > j {
		t.Errorf("older request listed first")
	}
	colleague := h.client(h.server())
	colleague.login("c1")
	if body := colleague.get("/workspaces/").body; !strings.Contains(body, "No workspaces of your own") || strings.Contains(body, "You have no workspaces") || !strings.Contains(body, `href="/requests/output_checker"`) {
		t.Errorf("an output checker without roles should get the empty page pointing to Reviews")
	}
}

func TestGroupWorkspaces(t *testing.T) {
	info := func(project string, ongoing, archived bool) domain.WorkspaceInfo {
		return domain.WorkspaceInfo{ProjectDetails: domain.ProjectDetails{Name: project, Ongoing: ongoing}, Archived: archived}
	}
	u := domain.User{Username: "r", Workspaces: map[string]domain.WorkspaceInfo{
		"zeta":    info("Alpha", true, false),
		"beta":    info("Alpha", true, true),
		"alpha":   info("Alpha", true, false),
		"old":     info("Old project", false, false),
		"gamma":   info("beta project", true, false),
		"Charlie": info("Alpha", true, false),
	}}
	reqs := []domain.Request{
		{ID: "r3", Workspace: "alpha", Status: domain.StatusPending},
		{ID: "r2", Workspace: "alpha", Status: domain.StatusReleased},
		{ID: "r1", Workspace: "elsewhere", Status: domain.StatusPending},
	}
	var list []service.WorkspaceSummary
	for _, name := range slices.Sorted(maps.Keys(u.Workspaces)) {
		list = append(list, service.WorkspaceSummary{Name: name})
	}
	list = append(list, service.WorkspaceSummary{Name: "not-a-role"}) // seen as an output checker: not listed here
	got := groupWorkspaces(u.Workspaces, list, reqs)
	var summary []string
	for _, g := range got {
		var ws []string
		for _, w := range g.Workspaces {
			ws = append(ws, w.Name)
		}
		summary = append(summary, g.Name+": "+strings.Join(ws, ","))
	}
	want := []string{"Alpha: alpha,Charlie,zeta,beta", "beta project: gamma", "Old project: old"}
	if !slices.Equal(summary, want) {
		t.Errorf("grouping:\n got %q\nwant %q", summary, want)
	}
	alpha := got[0].Workspaces[0]
	if len(alpha.Requests) != 2 || alpha.Current == nil || alpha.Current.ID != "r3" {
		t.Errorf("alpha's requests: %+v, current %+v", alpha.Requests, alpha.Current)
	}
}

// hashToken is how scs names a session in the store (HashTokenInStore).
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
