package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/api"
	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestLoginThrottleBehindAProxy checks whose address failed logins count
// against: behind a trusted proxy, the client's (the right-most address
// of X-Forwarded-For that is not the proxy); from anyone else, the peer's,
// whatever X-Forwarded-For says. Every attempt names another user, so
// that only the address's limit is at play.
func TestLoginThrottleBehindAProxy(t *testing.T) {
	const proxy = "10.0.0.2:40000"
	tests := []struct {
		name      string
		remote    string
		xff       func(i int) string // of the ten failures
		last      string             // the X-Forwarded-For of the eleventh attempt
		throttled bool
	}{
		{"clients behind the proxy are told apart", proxy,
			func(int) string { return "198.51.100.7" }, "198.51.100.8", false},
		{"the same client behind the proxy is throttled", proxy,
			func(int) string { return "198.51.100.7" }, "198.51.100.7", true},
		{"a client's own X-Forwarded-For does not help behind the proxy", proxy,
			func(i int) string { return fmt.Sprintf("192.0.2.%d, 198.51.100.7", i) }, "192.0.2.99, 198.51.100.7", true},
		{"an untrusted peer's X-Forwarded-For is not believed", "203.0.113.5:40000",
			func(i int) string { return fmt.Sprintf("192.0.2.%d", i) }, "192.0.2.99", true},
		{"without X-Forwarded-For everyone behind the proxy is one client", proxy,
			func(int) string { return "" }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testkit.NewEnv(t)
			var users []auth.DevUser
			for _, u := range e.Users() {
				users = append(users, auth.DevUser{Token: "login-" + u.Username, User: u, Details: testkit.UserJSON(u)})
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			a := api.New(api.Config{
				Service: e.Svc, Logger: log, Tokens: auth.NewTokens(e.Svc, e.Clock.Now),
				Logins:  auth.NewLogin(auth.NewDevProvider(users), e.Svc, auth.LoginOptions{Logger: log, Now: e.Clock.Now}),
				Proxies: auth.NewProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}),
			})
			h := server.Handler(server.Config{DB: e.Store, Logger: log, Mount: a.Register})
			login := func(user, token, xff string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("POST", "/api/v1/auth/token", strings.NewReader(fmt.Sprintf(`{"user": %q, "token": %q}`, user, token)))
				req.RemoteAddr = tt.remote
				if xff != "" {
					req.Header.Set("X-Forwarded-For", xff)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			for i := range 10 {
				if rec := login(fmt.Sprint("nobody", i), "guess", tt.xff(i)); rec.Code != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d %s", i, rec.Code, rec.Body)
				}
			}
			rec := login("c1", "login-c1", tt.last)
			if !tt.throttled {
				if rec.Code != http.StatusCreated {
					t.Fatalf("another client: %d %s", rec.Code, rec.Body)
				}
				return
			}
			if rec.Code != http.StatusTooManyRequests {
				t.Fatalf("eleventh attempt: %d %s", rec.Code, rec.Body)
			}
			eb := checkError(t, "throttled", rec.Code, rec.Body.Bytes())
			retry := rec.Header().Get("Retry-After")
			if secs, err := strconv.Atoi(retry); err != nil || secs < 1 || secs > 60 {
				t.Fatalf("Retry-After %q", retry)
			}
			if want := "try again in " + retry + " seconds"; !strings.Contains(eb.Error.Message, want) {
				t.Errorf("message %q does not say %q", eb.Error.Message, want)
			}
		})
	}
}
