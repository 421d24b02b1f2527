package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/api"
	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/jobservertest"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/testkit"
)

type tokenAnswer struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	User      struct {
		Username      string `json:"username"`
		OutputChecker bool   `json:"output_checker"`
	} `json:"user"`
}

func TestLoginWithTheUsersFile(t *testing.T) {
	h := newHarness(t)
	status, raw := h.call("", "POST", "/api/v1/auth/token", map[string]string{"user": "c1", "token": h.logins["c1"]})
	if status != http.StatusCreated {
		t.Fatalf("login: %d %s", status, raw)
	}
	tok := decodeInto[tokenAnswer](t, raw)
	if tok.User.Username != "c1" || !tok.User.OutputChecker || tok.Token == "" || tok.ExpiresAt == "" {
		t.Fatalf("token answer %+v", tok)
	}
	h.tokens["fresh"] = tok.Token
	if status, raw := h.call("fresh", "GET", "/api/v1/me", nil); status != 200 || !strings.Contains(string(raw), `"username":"c1"`) {
		t.Errorf("me with the new token: %d %s", status, raw)
	}
	if status, _ := h.call("fresh", "DELETE", "/api/v1/auth/token", nil); status != http.StatusNoContent {
		t.Errorf("revoke: %d", status)
	}
	if status, _ := h.call("fresh", "GET", "/api/v1/me", nil); status != http.StatusUnauthorized {
		t.Errorf("a revoked token still works: %d", status)
	}
	status, raw = h.call("", "POST", "/api/v1/auth/token", map[string]string{"user": "c1", "token": "wrong"})
	if eb := checkError(t, "wrong token", status, raw); status != http.StatusUnauthorized || eb.Error.Message != "Invalid user or token" {
		t.Errorf("wrong token: %d %s", status, raw)
	}
}

func TestFailedLoginsAreThrottled(t *testing.T) {
	h := newHarness(t)
	for range 10 {
		if status, _ := h.call("", "POST", "/api/v1/auth/token", map[string]string{"user": "c1", "token": "guess"}); status != http.StatusUnauthorized {
			t.Fatalf("failed login answered %d", status)
		}
	}
	req := httptest.NewRequest("POST", "/api/v1/auth/token", strings.NewReader(`{"user": "c1", "token": "`+h.logins["c1"]+`"}`))
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("11th login: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	checkError(t, "throttled", rec.Code, rec.Body.Bytes())
	h.Clock.Advance(2 * time.Minute)
	if status, _ := h.call("", "POST", "/api/v1/auth/token", map[string]string{"user": "c1", "token": h.logins["c1"]}); status != http.StatusCreated {
		t.Errorf("after the window: %d", status)
	}
}

// TestLoginWithJobServer logs in and refreshes against a fake job-server,
// including its failures, each answered distinctly.
func TestLoginWithJobServer(t *testing.T) {
	e := testkit.NewEnv(t)
	js := jobservertest.New(t, "api-secret")
	details := testkit.UserJSON(e.C1)
	js.AddUser("c1", "c1@example.org", "correct horse battery", details)
	js.AddUser("c1", "c1@example.org", "second single use", details)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	login := auth.NewLogin(auth.NewJobServer(js.URL(), "api-secret", nil), e.Svc, auth.LoginOptions{Logger: log, Now: e.Clock.Now})
	a := api.New(api.Config{Service: e.Svc, Logins: login, Tokens: auth.NewTokens(e.Svc, e.Clock.Now), Logger: log})
	h := server.Handler(server.Config{DB: e.Store, Logger: log, Mount: a.Register})
	post := func(user, token string) (int, string) {
		req := httptest.NewRequest("POST", "/api/v1/auth/token", strings.NewReader(`{"user": "`+user+`", "token": "`+token+`"}`))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if status, body := post("wrong", "nope"); status != http.StatusUnauthorized || !strings.Contains(body, "Invalid user or token") {
		t.Errorf("wrong token: %d %s", status, body)
	}
	js.FailNext(http.StatusBadGateway, 1)
	if status, body := post("c1", "correct horse battery"); status != http.StatusServiceUnavailable || !strings.Contains(body, "could not log you in") {
		t.Errorf("job-server error: %d %s", status, body)
	}
	js.Down()
	if status, body := post("c1", "correct horse battery"); status != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be reached") {
		t.Errorf("job-server down: %d %s", status, body)
	}
	js.Up()
	status, body := post("c1@example.org", "correct horse battery")
	if status != http.StatusCreated {
		t.Fatalf("login by email: %d %s", status, body)
	}
	var tok tokenAnswer
	json.Unmarshal([]byte(body), &tok)
	if tok.User.Username != "c1" {
		t.Errorf("logged in as %q", tok.User.Username)
	}
	me := func() (int, string) {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	// After 15 minutes the user is refreshed from job-server...
	updated := e.C1
	updated.Fullname = "Refreshed Name"
	js.SetDetails("c1", testkit.UserJSON(updated))
	e.Clock.Advance(16 * time.Minute)
	if status, body := me(); status != 200 || !strings.Contains(body, "Refreshed Name") {
		t.Errorf("after refresh: %d %s", status, body)
	}
	// ...and when job-server is down, the cached user is kept.
	js.Down()
	e.Clock.Advance(16 * time.Minute)
	if status, body := me(); status != 200 || !strings.Contains(body, "Refreshed Name") {
		t.Errorf("job-server down at refresh: %d %s", status, body)
	}
}
