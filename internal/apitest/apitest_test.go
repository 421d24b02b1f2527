package apitest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/apitest"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestServer: a user logs in with their login token, an issued API token
// is accepted, a request built in the Env is served, and no token is
// refused.
func TestServer(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	srv := apitest.New(t, e)

	get := func(token, path string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(e.Ctx, http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp.StatusCode, doc
	}

	body := strings.NewReader(`{"user": "c1", "token": "` + apitest.LoginToken(e.C1) + `"}`)
	resp, err := srv.Client().Post(srv.URL+"/api/v1/auth/token", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	err = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || login.Token == "" {
		t.Fatalf("login: %d, %v, %+v", resp.StatusCode, err, login)
	}
	if status, doc := get(login.Token, "/api/v1/requests/"+r.ID); status != http.StatusOK || doc["status"] != "SUBMITTED" {
		t.Errorf("the checker's request: %d %v", status, doc)
	}
	if status, doc := get(srv.Token(e.Author), "/api/v1/me"); status != http.StatusOK || doc["username"] != e.Author.Username {
		t.Errorf("me with an issued token: %d %v", status, doc)
	}
	if status, _ := get("", "/api/v1/me"); status != http.StatusUnauthorized {
		t.Errorf("no token: %d", status)
	}
}
