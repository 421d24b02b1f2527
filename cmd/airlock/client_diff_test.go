package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/api"
	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/testkit"
)

// realAPI serves the JSON API of e; users log in with "login-" + their name.
func realAPI(t *testing.T, e *testkit.Env) string {
	t.Helper()
	var users []auth.DevUser
	for _, u := range e.Users() {
		users = append(users, auth.DevUser{Token: "login-" + u.Username, User: u, Details: testkit.UserJSON(u)})
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	login := auth.NewLogin(auth.NewDevProvider(users), e.Svc, auth.LoginOptions{Logger: log, Now: e.Clock.Now})
	a := api.New(api.Config{Service: e.Svc, Logins: login, Tokens: auth.NewTokens(e.Svc, e.Clock.Now), Logger: log})
	srv := httptest.NewServer(server.Handler(server.Config{DB: e.Store, Logger: log, Mount: a.Register}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestClientDiff: after a resubmission a checker sees, from the command
// line, what changed since the version they voted on: a table's cells and
// rows, a text's lines; --json prints the server's document.
func TestClientDiff(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Resubmitted(e.Author,
		map[string]string{"out/t.csv": "region,n\nNorth,10\nSouth,12\nEast,4\n", "out/n.md": "# Notes\nold line\n"},
		map[string]string{"out/t.csv": "region,n\nNorth,10\nSouth,15\nWest,20\n", "out/n.md": "# Notes\nnew line\n"})
	url := realAPI(t, e)
	session := filepath.Join(t.TempDir(), "c1.json")
	clientOK(t, session, "login-"+e.C1.Username+"\n", "login", url, "--user", e.C1.Username)

	out := clientOK(t, session, "", "diff", r.ID, "out/t.csv")
	for _, want := range [][]string{
		{"out/t.csv"}, {"from version 1", "added by " + e.Author.Username}, {"to   version 2"},
		{"Rows matched by region."}, {"1 cell changed, 1 row added, 1 removed"},
		{"2", "n", "12", "15"}, {"+ 3", "West, 20"}, {"- 3", "East, 4"},
	} {
		if !clientHasLine(out, want...) {
			t.Errorf("CSV diff lacks a line with %q:\n%s", want, out)
		}
	}
	out = clientOK(t, session, "", "diff", r.ID, "out/n.md", "--from", "1", "--to", "2")
	if !strings.Contains(out, "-old line\n+new line\n") || !clientHasLine(out, "1 line added, 1 removed") {
		t.Errorf("text diff:\n%s", out)
	}
	out = clientOK(t, session, "", "--json", "diff", r.ID, "out/t.csv")
	var d client.Diff
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Kind != "csv" || d.CSV == nil || d.CSV.CellsTotal != 1 || len(d.Versions) != 2 {
		t.Errorf("--json: %v\n%s", err, out)
	}

	// The author never voted: a clear refusal, exit 1.
	author := filepath.Join(t.TempDir(), "author.json")
	clientOK(t, author, "login-"+e.Author.Username+"\n", "login", url, "--user", e.Author.Username)
	code, _, errOut := clientAs(t, author, "", "diff", r.ID, "out/t.csv")
	if code != 1 || !strings.Contains(errOut, "you have not voted on out/t.csv") {
		t.Errorf("diff from reviewed by the author: exit %d, %q", code, errOut)
	}
	out = clientOK(t, author, "", "diff", r.ID, "out/t.csv", "--from", "previous")
	if !clientHasLine(out, "1 cell changed") {
		t.Errorf("the author's diff from previous:\n%s", out)
	}
}
