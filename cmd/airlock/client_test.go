package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/apitest"
	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// clientFixture is the server the client command talks to in these
// tests: the real JSON API over a testkit environment, and what it holds.
type clientFixture struct {
	*testkit.Env
	URL                     string
	Workspace               string
	Author, AuthorToken     string // AuthorToken: the single-use login token
	Checker, CheckerToken   string
	Checker2, Checker2Token string
	Folder                  string // a workspace folder holding File
	File                    string // a workspace file whose name has a space and a non-ASCII letter
}

// clientFiles are the files of the fixture's workspace, path to content.
var clientFiles = map[string]string{
	"output/summary.csv":     "a,b\n1,2\n",
	"output/tables/my é.csv": "x\n1\n2\n",
	"output/chart.png":       "\x89PNG fake",
	"README.md":              "# readme\n",
}

func newClientFixture(t *testing.T) clientFixture {
	t.Helper()
	e := testkit.NewEnv(t)
	for p, content := range clientFiles {
		e.Files.Write(testkit.Workspace, p, content)
	}
	srv := apitest.New(t, e)
	return clientFixture{
		Env: e, URL: srv.URL, Workspace: testkit.Workspace,
		Author: e.Author.Username, AuthorToken: apitest.LoginToken(e.Author),
		Checker: e.C1.Username, CheckerToken: apitest.LoginToken(e.C1),
		Checker2: e.C2.Username, Checker2Token: apitest.LoginToken(e.C2),
		Folder: "output/tables", File: "output/tables/my é.csv",
	}
}

// clientAs runs `airlock client --config <session> args...`.
func clientAs(t *testing.T, session, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return airlock(t, stdin, append([]string{"client", "--config", session}, args...)...)
}

// clientOK runs clientAs and fails the test on a non-zero exit.
func clientOK(t *testing.T, session, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := clientAs(t, session, stdin, args...)
	if code != 0 {
		t.Fatalf("airlock client %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// clientLogin logs user in with a session file of their own.
func clientLogin(t *testing.T, f clientFixture, user, token string) string {
	t.Helper()
	session := filepath.Join(t.TempDir(), user+".json")
	clientOK(t, session, token+"\n", "login", f.URL, "--user", user)
	return session
}

func TestClientLoginSavesAPrivateSession(t *testing.T) {
	f := newClientFixture(t)
	dir := filepath.Join(t.TempDir(), "cfg", "airlock")
	path := filepath.Join(dir, "client.json")
	t.Setenv("AIRLOCK_CLIENT_CONFIG", path)

	// The user name and the token both come from standard input.
	code, out, errOut := airlock(t, f.Author+"\n"+f.AuthorToken+"\n", "client", "login", f.URL+"/")
	if code != 0 {
		t.Fatalf("login: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Logged in to "+f.URL+" as "+f.Author) || !strings.Contains(out, path) {
		t.Errorf("login output:\n%s", out)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var saved map[string]any
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatalf("session file: %v\n%s", err, b)
	}
	if saved["url"] != f.URL || saved["user"] != f.Author || saved["token"] == "" || saved["expires_at"] == "" {
		t.Errorf("session file: %s", b)
	}
	if strings.Contains(out, saved["token"].(string)) {
		t.Error("login printed the API token")
	}

	// Later commands use the saved session.
	code, out, errOut = airlock(t, "", "client", "whoami")
	if code != 0 || !strings.Contains(out, "user:") || !strings.Contains(out, f.Author) {
		t.Errorf("whoami: exit %d\n%s%s", code, out, errOut)
	}
}

func TestClientLoginDefaultsToTheUserConfigFolder(t *testing.T) {
	f := newClientFixture(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("AIRLOCK_CLIENT_CONFIG", "")
	os.Unsetenv("AIRLOCK_CLIENT_CONFIG")
	configDir, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no user config folder:", err)
	}
	code, _, errOut := airlock(t, f.AuthorToken+"\n", "client", "login", f.URL, "--user", f.Author)
	if code != 0 {
		t.Fatalf("login: exit %d: %s", code, errOut)
	}
	fi, err := os.Stat(filepath.Join(configDir, "airlock", "client.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v, %v", fi, err)
	}
}

func TestClientLoginFailures(t *testing.T) {
	f := newClientFixture(t)
	session := filepath.Join(t.TempDir(), "client.json")
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"wrong token", "nope\n", []string{"login", f.URL, "--user", f.Author}, "Error: Invalid user or token"},
		{"no token", "", []string{"login", f.URL, "--user", f.Author}, "Error: no token given"},
		{"no user", "", []string{"login", f.URL}, "Error: no user name given"},
		{"bad URL", "tok\n", []string{"login", "ftp://x", "--user", f.Author}, "is not an airlock server URL"},
	} {
		code, _, errOut := clientAs(t, session, tc.stdin, tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %q", tc.name, code, errOut, tc.want)
		}
	}
	if _, err := os.Stat(session); !os.IsNotExist(err) {
		t.Errorf("a failed login left a session file: %v", err)
	}
}

func TestClientNotLoggedIn(t *testing.T) {
	session := filepath.Join(t.TempDir(), "client.json")
	for _, args := range [][]string{{"workspaces"}, {"show", "r1"}, {"logout"}, {"--json", "requests"}} {
		code, out, errOut := clientAs(t, session, "", args...)
		if code != 1 || out != "" || strings.TrimSpace(errOut) != "Error: not logged in: run `airlock client login URL`" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestClientAPIErrors(t *testing.T) {
	f := newClientFixture(t)
	session := clientLogin(t, f, f.Author, f.AuthorToken)

	code, out, errOut := clientAs(t, session, "", "show", "no-such-request")
	if code != 1 || out != "" || strings.TrimSpace(errOut) != "Error: There is no release request no-such-request." {
		t.Errorf("show unknown: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = clientAs(t, session, "", "--json", "ls", f.Workspace, "no/such/folder")
	if code != 1 || !strings.Contains(errOut, "no file or folder no/such/folder") {
		t.Errorf("ls unknown: exit %d, stderr %q", code, errOut)
	}

	// A token the server no longer knows: the message says to log in again.
	stale := filepath.Join(t.TempDir(), "stale.json")
	if err := client.SaveSession(stale, client.Session{URL: f.URL, Token: "revoked", User: f.Author}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = clientAs(t, stale, "", "workspaces")
	if code != 1 || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, "airlock client login "+f.URL) {
		t.Errorf("stale token: exit %d, stderr %q", code, errOut)
	}
}

func TestClientLogout(t *testing.T) {
	f := newClientFixture(t)
	session := clientLogin(t, f, f.Author, f.AuthorToken)
	saved, err := client.LoadSession(session)
	if err != nil {
		t.Fatal(err)
	}
	token := client.New(f.URL, saved.Token, nil)
	if _, err := token.Me(f.Ctx); err != nil {
		t.Fatalf("the saved token does not work before logout: %v", err)
	}
	out := clientOK(t, session, "", "logout")
	if !strings.Contains(out, "Logged out") {
		t.Errorf("logout output %q", out)
	}
	if _, err := os.Stat(session); !os.IsNotExist(err) {
		t.Errorf("session file still there: %v", err)
	}
	// The server revoked the token: it no longer works, whoever holds it.
	if _, err := token.Me(f.Ctx); client.ErrorCode(err) != client.CodeUnauthenticated {
		t.Errorf("the token still works after logout: %v", err)
	}
	if code, _, errOut := clientAs(t, session, "", "whoami"); code != 1 || !strings.Contains(errOut, "not logged in") {
		t.Errorf("after logout: exit %d, %q", code, errOut)
	}
}

// TestClientWorkflow takes a request from the first file to release.
func TestClientWorkflow(t *testing.T) {
	f := newClientFixture(t)
	author := clientLogin(t, f, f.Author, f.AuthorToken)

	out := clientOK(t, author, "", "workspaces")
	if !clientHasLine(out, f.Workspace, "active") {
		t.Errorf("workspaces:\n%s", out)
	}
	out = clientOK(t, author, "", "ls", f.Workspace)
	if !clientHasLine(out, "STATUS", "SIZE", "PATH") || !clientHasLine(out, "output/") {
		t.Errorf("ls top:\n%s", out)
	}
	out = clientOK(t, author, "", "ls", f.Workspace, f.Folder)
	if !clientHasLine(out, "Unreleased", f.File) {
		t.Errorf("ls folder:\n%s", out)
	}
	out = clientOK(t, author, "", "ls", f.Workspace, f.File)
	for _, want := range []string{"path:", f.File, "status:", "Unreleased", "size:", "sha256:", "modified:"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls file lacks %q:\n%s", want, out)
		}
	}

	var r client.Request
	clientDecode(t, clientOK(t, author, "", "--json", "add", f.Workspace, f.File, "--group", "tables"), &r)
	if r.ID == "" || r.Status != "PENDING" {
		t.Fatalf("add: %+v", r)
	}
	out = clientOK(t, author, "", "add", f.Workspace, "output/summary.csv", "--group", "tables", "--supporting")
	if !strings.Contains(out, "request "+r.ID) || !clientHasLine(out, "Supporting", "output/summary.csv") {
		t.Errorf("add supporting:\n%s", out)
	}
	out = clientOK(t, author, "", "ls", f.Workspace, f.Folder)
	if !clientHasLine(out, "Under review", f.File) {
		t.Errorf("ls after add:\n%s", out)
	}
	// Update refuses a file that has not changed, and refreshes one that has.
	code, _, errOut := clientAs(t, author, "", "update", f.Workspace, f.File)
	if code != 1 || !strings.Contains(errOut, "has not changed in the workspace since it was added") {
		t.Errorf("update unchanged: exit %d, %q", code, errOut)
	}
	f.Files.Write(f.Workspace, f.File, "x\n1\n2\n3\n")
	out = clientOK(t, author, "", "update", f.Workspace, f.File)
	if !strings.Contains(out, "request "+r.ID+" (Pending): updated 1 file") || !clientHasLine(out, f.File) {
		t.Errorf("update:\n%s", out)
	}
	// Saving properties unchanged says so, and is no error; a change says
	// what it did.
	if out := clientOK(t, author, "", "properties", r.ID, f.File, "--group", "tables"); strings.TrimSpace(out) != domain.NothingChanged(1) {
		t.Errorf("unchanged properties: %q", out)
	}
	if out := clientOK(t, author, "", "properties", r.ID, "output/summary.csv", "--group", "tables"); !strings.Contains(out, "1 file now in group tables, as output") {
		t.Errorf("changed properties: %q", out)
	}
	clientOK(t, author, "", "properties", r.ID, "output/summary.csv", "--group", "tables", "--supporting")

	code, _, errOut = clientAs(t, author, "", "submit", r.ID)
	if code != 1 || strings.TrimSpace(errOut) != "Error: Describe the context and the disclosure controls of group “tables” before submitting." {
		t.Errorf("submit without context: exit %d, %q", code, errOut)
	}

	controls := filepath.Join(t.TempDir(), "controls.txt")
	if err := os.WriteFile(controls, []byte("small numbers suppressed\nrounded to 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out = clientOK(t, author, "", "context", r.ID, "tables", "--context", "counts by region", "--controls-file", controls)
	if !clientHasLine(out, "controls:", "small numbers suppressed") || !clientHasLine(out, "rounded to 5") {
		t.Errorf("context:\n%s", out)
	}
	// Changing one of the two keeps the other.
	clientOK(t, author, "why it matters\n", "context", r.ID, "tables", "--context-file", "-")
	out = clientOK(t, author, "", "comment", r.ID, "tables", "please look at the \x1b[31mtotals\x1b[0m")
	if !strings.Contains(out, "(all users)") {
		t.Errorf("comment:\n%s", out)
	}
	out = clientOK(t, author, "", "submit", r.ID)
	if !clientHasLine(out, "request "+r.ID+": Submitted (review turn 1)") {
		t.Errorf("submit:\n%s", out)
	}

	checker := clientLogin(t, f, f.Checker, f.CheckerToken)
	out = clientOK(t, checker, "", "requests", "--review", "--status", "submitted", "--workspace", f.Workspace)
	if !clientHasLine(out, r.ID, f.Workspace, f.Author, "Submitted", "1") {
		t.Errorf("requests --review:\n%s", out)
	}
	out = clientOK(t, checker, "", "vote", r.ID, f.File, "changes")
	if !strings.Contains(out, "my vote Changes requested") {
		t.Errorf("vote changes:\n%s", out)
	}
	out = clientOK(t, checker, "", "vote", r.ID, f.File, "reset")
	if !strings.Contains(out, "vote withdrawn") {
		t.Errorf("vote reset:\n%s", out)
	}
	clientOK(t, checker, "", "vote", r.ID, f.File, "approve")
	clientOK(t, checker, "", "comment", r.ID, "tables", "checker-only note", "--private")

	out = clientOK(t, checker, "", "show", r.ID)
	for _, want := range [][]string{
		{"request:", r.ID}, {"workspace:", f.Workspace}, {"author:", f.Author}, {"status:", "Submitted"},
		{"review turn:", "1"}, {"group:", "tables"}, {"context:", "why it matters"},
		{"controls:", "small numbers suppressed"}, {"rounded to 5"},
		{"files:"}, {"FILETYPE", "DECISION", "MY VOTE", "SIZE", "PATH"},
		// One vote is not a decision: that takes two reviews.
		{"Output", "Incomplete", "Approved", f.File}, {"Supporting", "Incomplete", "-", "output/summary.csv"},
		{"comments:"},
		{"#", f.Author, "All users", "turn 0", "please look at the ?[31mtotals?[0m"},
		{"#", f.Checker, "Output checkers only", "turn 1", "checker-only note"},
	} {
		if !clientHasLine(out, want...) {
			t.Errorf("show lacks a line with %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("show printed an escape character")
	}
	// The author does not see the private comment, nor has a vote.
	if out := clientOK(t, author, "", "show", r.ID); strings.Contains(out, "checker-only") {
		t.Errorf("author sees a private comment:\n%s", out)
	}

	out = clientOK(t, checker, "", "review", r.ID)
	if !strings.Contains(out, "One review submitted") {
		t.Errorf("review:\n%s", out)
	}
	checker2 := clientLogin(t, f, f.Checker2, f.Checker2Token)
	clientOK(t, checker2, "", "vote", r.ID, f.File, "approve")
	clientOK(t, checker2, "", "review", r.ID)
	out = clientOK(t, checker2, "", "release", r.ID)
	if !strings.Contains(out, "request "+r.ID+": Approved, files uploading") {
		t.Errorf("release:\n%s", out)
	}
	// Two approving reviews make the decision.
	if out := clientOK(t, checker, "", "show", r.ID); !clientHasLine(out, "Output", "Approved", "Approved", f.File) {
		t.Errorf("show after release:\n%s", out)
	}

	out = clientOK(t, checker, "", "audit", r.ID)
	if !clientHasLine(out, "TIME", "TYPE", "USER", "PATH", "DETAILS") ||
		!clientHasLine(out, "REQUEST_SUBMIT", f.Author, "-", "review_turn=0") ||
		!clientHasLine(out, "REQUEST_FILE_APPROVE", f.Checker, f.File, "group=tables review_turn=1") ||
		!clientHasLine(out, "REQUEST_FILE_REQUEST_CHANGES", f.Checker, f.File) ||
		!clientHasLine(out, "REQUEST_FILE_RESET_REVIEW", f.Checker, f.File) ||
		!clientHasLine(out, "REQUEST_APPROVE", f.Checker2, "-", "review_turn=1") {
		t.Errorf("audit:\n%s", out)
	}
	code, _, errOut = clientAs(t, author, "", "withdraw", r.ID)
	if code != 1 || strings.TrimSpace(errOut) != "Error: This request has been approved and its files are being uploaded. Only a pending or returned request can be withdrawn." {
		t.Errorf("withdraw after release: exit %d, %q", code, errOut)
	}
}

func TestClientJSONOutput(t *testing.T) {
	f := newClientFixture(t)
	author := clientLogin(t, f, f.Author, f.AuthorToken)
	var r client.Request
	clientDecode(t, clientOK(t, author, "", "add", f.Workspace, f.File, "--group", "g", "--json"), &r)

	for _, args := range [][]string{
		{"whoami"}, {"workspaces"}, {"ls", f.Workspace}, {"ls", f.Workspace, f.File},
		{"requests"}, {"show", r.ID}, {"audit", r.ID},
		{"context", r.ID, "g", "--context", "c", "--controls", "k"},
		{"comment", r.ID, "g", "hello"}, {"submit", r.ID},
	} {
		out := clientOK(t, author, "", append([]string{"--json"}, args...)...)
		if !json.Valid([]byte(out)) || !strings.HasSuffix(out, "}\n") && !strings.HasSuffix(out, "]\n") {
			t.Errorf("%v --json is not one JSON document:\n%s", args, out)
		}
	}
	var got client.Request
	clientDecode(t, clientOK(t, author, "", "show", r.ID, "--json"), &got)
	if got.Status != "SUBMITTED" || len(got.Groups) != 1 || got.Groups[0].Context != "c" || len(got.Groups[0].Comments) != 1 {
		t.Errorf("show --json: %+v", got)
	}
	var list struct{ Requests []client.Request }
	clientDecode(t, clientOK(t, author, "", "--json", "requests"), &list)
	if len(list.Requests) != 1 || list.Requests[0].ID != r.ID {
		t.Errorf("requests --json: %+v", list)
	}

	session := filepath.Join(t.TempDir(), "s.json")
	var login map[string]any
	clientDecode(t, clientOK(t, session, f.CheckerToken+"\n", "--json", "login", f.URL, "--user", f.Checker), &login)
	if login["url"] != f.URL || login["session_file"] != session || login["token"] != nil {
		t.Errorf("login --json: %v", login)
	}
}

// clientHasLine reports whether some line of out holds all the fields,
// in order, separated by white space.
func clientHasLine(out string, fields ...string) bool {
	for line := range strings.SplitSeq(out, "\n") {
		rest, ok := line, true
		for _, f := range fields {
			i := strings.Index(rest, f)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(f):]
		}
		if ok {
			return true
		}
	}
	return false
}

func clientDecode(t *testing.T, out string, into any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), into); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
}

// TestClientRefusesInvalidText: text that is not valid UTF-8 (or holds
// NUL), on the command line or read from a file, is refused before
// anything is sent; JSON encoding would otherwise replace it quietly.
func TestClientRefusesInvalidText(t *testing.T) {
	f := newClientFixture(t)
	session := clientLogin(t, f, f.Author, f.AuthorToken)
	bad := filepath.Join(t.TempDir(), "context.txt")
	if err := os.WriteFile(bad, []byte("ctx \xff"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"comment", "r1", "g", "bad \xff\xfe"}, "A command-line argument is not valid UTF-8"},
		{"bad \xff from stdin", []string{"comment", "r1", "g", "-"}, "The text read from standard input is not valid UTF-8"},
		{"", []string{"context", "r1", "g", "--context-file", bad, "--controls", "c"}, "The text read from " + bad + " is not valid UTF-8"},
		{"", []string{"add", f.Workspace, "out/\xc0.csv", "--group", "g"}, "A command-line argument is not valid UTF-8"},
	} {
		code, out, errOut := clientAs(t, session, tt.stdin, tt.args...)
		if code == 0 || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want a refusal saying %q", tt.args, code, out, errOut, tt.want)
		}
	}
}
