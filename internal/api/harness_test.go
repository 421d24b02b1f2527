package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/airlock-go/airlock/internal/api"
	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/testkit"
)

// harness is the JSON API over a fresh Env, with a token for every user.
type harness struct {
	*testkit.Env
	h      http.Handler
	tokens map[string]string // username → API token
	logins map[string]string // username → users-file login token
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessOn(t, testkit.NewEnv(t))
}

// newHarnessOn serves the API over e (whose service a test may have
// replaced).
func newHarnessOn(t testing.TB, e *testkit.Env) *harness {
	t.Helper()
	var users []auth.DevUser
	logins := map[string]string{}
	for _, u := range e.Users() {
		tok := "login-" + u.Username
		users = append(users, auth.DevUser{Token: tok, User: u, Details: testkit.UserJSON(u)})
		logins[u.Username] = tok
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	login := auth.NewLogin(auth.NewDevProvider(users), e.Svc, auth.LoginOptions{Logger: log, Now: e.Clock.Now})
	tokens := auth.NewTokens(e.Svc, e.Clock.Now)
	a := api.New(api.Config{Service: e.Svc, Logins: login, Tokens: tokens, Logger: log})
	h := server.Handler(server.Config{DB: e.Store, Logger: log, Mount: a.Register})
	hs := &harness{Env: e, h: h, tokens: map[string]string{}, logins: logins}
	for _, u := range e.Users() {
		secret, _, err := tokens.Issue(e.Ctx, u.Username)
		if err != nil {
			t.Fatal(err)
		}
		hs.tokens[u.Username] = secret
	}
	return hs
}

// call makes an API call as user (anonymous when empty) and returns the
// status and body.
func (h *harness) call(user, method, path string, body any) (int, []byte) {
	h.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.T.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+h.tokens[user])
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// decodeInto decodes an answer or fails.
func decodeInto[T any](t testing.TB, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("answer is not the JSON expected: %v\n%s", err, raw)
	}
	return v
}

// errorBody is the shape of every error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// checkError asserts an answer is a well-formed error.
func checkError(t testing.TB, what string, status int, raw []byte) errorBody {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(raw, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
		t.Errorf("%s: status %d without the error shape: %s", what, status, raw)
	}
	return eb
}

// snapshot is what must not change when a call is refused.
type snapshot struct {
	version int64
	status  domain.Status
	head    int64
}

func (h *harness) snap(id string) snapshot {
	h.T.Helper()
	r := h.Get(id)
	head, _, err := h.Store.AuditHead(h.Ctx)
	h.OK(err)
	return snapshot{r.Version, r.Status, head}
}
