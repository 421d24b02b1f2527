package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/testkit"
)

// routeURL fills a route's pattern with real values: the method and the
// path to request.
func routeURL(pattern string, values map[string]string) (string, string) {
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{$}", "")
	for k, v := range values {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return method, path
}

// TestEveryPageIsNoStore walks every page route, logged in and not, over
// a submitted request whose files are real, and checks that no answer may
// be kept in the browser's cache: the pages, the file views in their
// frames, the downloads, the errors and the redirects.
func TestEveryPageIsNoStore(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	r := h.Submitted(h.Author)
	values := map[string]string{
		"id": r.ID, "group": "g", "path...": "out/a.csv", "ws": testkit.Workspace, "what": "uploaded-count",
	}
	variants := []string{"", "?download", "?plaintext=true", "?summary=1"}
	n := 0
	for _, rt := range h.pages.routes() {
		method, path := routeURL(rt.pattern, values)
		for _, who := range []string{"", h.C1.Username, h.Author.Username} {
			for _, v := range variants {
				if v != "" && method != http.MethodGet {
					continue
				}
				c := h.client(srv)
				if who != "" {
					c.login(who)
				}
				var a answer
				if method == http.MethodGet {
					a = c.get(path + v)
				} else {
					a = c.post(path, url.Values{})
				}
				n++
				if got := a.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s %s%s as %q: %d with Cache-Control %q, want no-store", method, path, v, who, a.StatusCode, got)
				}
			}
		}
	}
	// The file contents themselves were among them.
	c := h.client(srv)
	c.login(h.C1.Username)
	for _, p := range []string{"/requests/content/" + r.ID + "/g/out/a.csv?download", "/requests/content/" + r.ID + "/g/out/a.csv", "/workspaces/content/" + testkit.Workspace + "/out/a.csv"} {
		a := c.get(p)
		if a.StatusCode != http.StatusOK || a.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d, Cache-Control %q", p, a.StatusCode, a.Header.Get("Cache-Control"))
		}
	}
	t.Logf("%d answers checked", n)
}

// TestSecureCookieAndHSTS checks when the session cookie is Secure and
// Strict-Transport-Security is sent: over HTTPS as a trusted proxy says
// so, or always by configuration; never on the word of an untrusted peer.
func TestSecureCookieAndHSTS(t *testing.T) {
	tests := []struct {
		name    string
		opts    []harnessOption
		remote  string
		proto   string
		tls     bool
		wantSec bool
	}{
		{"plain HTTP", nil, "203.0.113.9:1234", "", false, false},
		{"untrusted peer says https", []harnessOption{withProxies("10.0.0.0/8")}, "203.0.113.9:1234", "https", false, false},
		{"trusted proxy says https", []harnessOption{withProxies("10.0.0.0/8")}, "10.1.2.3:1234", "https", false, true},
		{"trusted proxy says http", []harnessOption{withProxies("10.0.0.0/8")}, "10.1.2.3:1234", "http", false, false},
		{"forced", []harnessOption{withSecureCookies()}, "203.0.113.9:1234", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.opts...)
			form := url.Values{"user": {"author"}, "token": {"login-author"}}
			req := newFormRequest("/login/", form)
			req.RemoteAddr = tt.remote
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			rec := serveRecorded(h.handler, req)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("login: %d", rec.Code)
			}
			var cookie *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == cookieName {
					cookie = c
				}
			}
			if cookie == nil || cookie.Value == "" {
				t.Fatal("no session cookie")
			}
			if cookie.Secure != tt.wantSec || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
				t.Errorf("cookie Secure %v HttpOnly %v SameSite %v, want Secure %v", cookie.Secure, cookie.HttpOnly, cookie.SameSite, tt.wantSec)
			}
			hsts := rec.Header().Get("Strict-Transport-Security")
			if (hsts == HSTS) != tt.wantSec || (hsts != "" && hsts != HSTS) {
				t.Errorf("Strict-Transport-Security %q, want it: %v", hsts, tt.wantSec)
			}
		})
	}
}

// newFormRequest is a form post to path.
func newFormRequest(path string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// serveRecorded serves req with h and returns the recorded answer.
func serveRecorded(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
