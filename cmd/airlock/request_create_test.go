package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store/sqlite"
	"github.com/airlock-go/airlock/internal/testkit"
)

// createSetup builds a work folder whose database knows author and
// colleague, and a workspace "ws" on disk; it returns the work folder and
// the folder of workspaces.
func createSetup(t *testing.T) (string, string) {
	t.Helper()
	workDir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(workDir, "airlock.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := service.New(service.Config{Store: st, Logger: discardLogger()})
	for _, u := range []domain.User{testkit.NewUser("author", testkit.Researcher, "ws"), testkit.NewUser("colleague", testkit.Researcher, "ws")} {
		if _, err := svc.PutUser(ctx, testkit.UserJSON(u)); err != nil {
			t.Fatal(err)
		}
	}
	wsDir := filepath.Join(workDir, "workspaces")
	testkit.NewDiskWorkspace(t, wsDir, "ws").
		Output("output/tables/a.csv", "region,n\nNorth,10\n", map[string]any{"user": "author"}).
		Output("output/tables/notes.txt", "notes\n", map[string]any{"user": "author"}).
		Output("output/figs/f.png", "\x89PNG", map[string]any{"user": "colleague"}).
		Save()
	return workDir, wsDir
}

// storedRequest loads a request from the work folder's database.
func storedRequest(t *testing.T, workDir, id string) *domain.Request {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(workDir, "airlock.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.GetRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var requestIDLine = regexp.MustCompile(`(?m)^request_id: (\w{26})$`)

func TestRequestCreate(t *testing.T) {
	workDir, wsDir := createSetup(t)
	args := []string{"request", "create", "author", "ws", "--work-dir", workDir, "--workspace-dir", wsDir,
		"--dirs", "output/tables", "--dirs", "output/figs", "--supporting-files", "output/tables/notes.txt",
		"--context", "Counts", "--controls", "Rounded", "--submit"}
	code, out, stderr := airlock(t, "", args...)
	if code != 0 || !strings.HasPrefix(out, "completed: true\nrequest_id: ") || !strings.Contains(out, "message: Added 2 output and 1 supporting file(s) in 2 group(s); submitted\n") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	id := requestIDLine.FindStringSubmatch(out)[1]
	r := storedRequest(t, workDir, id)
	if r.Status != domain.StatusSubmitted || len(r.Files) != 3 || r.Author != "author" {
		t.Errorf("request %s by %s: %v", r.Status, r.Author, testkit.SortedPaths(r))
	}
	if _, err := os.Stat(filepath.Join(workDir, "requests", "ws")); err != nil {
		t.Errorf("no request-file copies in the default request folder: %v", err)
	}

	code, out, _ = airlock(t, "", args...)
	if code != 0 || out != "completed: false\nrequest_id: "+id+"\nmessage: Already submitted\n" {
		t.Errorf("second run: exit %d %q", code, out)
	}
}

func TestRequestCreateUserFromManifest(t *testing.T) {
	workDir, wsDir := createSetup(t)
	t.Setenv("AIRLOCK_WORKSPACE_DIR", wsDir)
	// Comma-separated folders work as well as a repeated flag.
	code, out, stderr := airlock(t, "", "request", "create", "-", "ws", "--work-dir", workDir, "--dirs", "output/tables,output/figs")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	r := storedRequest(t, workDir, requestIDLine.FindStringSubmatch(out)[1])
	if r.Author != "colleague" || len(r.Groups) != 2 {
		t.Errorf("author %s, groups %v", r.Author, r.Groups)
	}
}

func TestRequestCreateErrors(t *testing.T) {
	workDir, wsDir := createSetup(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"stranger", "ws", "--workspace-dir", wsDir, "--dirs", "output"}, "Error: user stranger is not known to airlock; they must log in once (or be in the users file)"},
		{[]string{"author", "ws", "--dirs", "output"}, "AIRLOCK_WORKSPACE_DIR (--workspace-dir) is required"},
		{[]string{"author", "ws", "--workspace-dir", filepath.Join(workDir, "nope"), "--dirs", "output"}, "is not a folder"},
		{[]string{"author", "ws", "--workspace-dir", wsDir, "--dirs", "output/nope"}, "has no folder output/nope"},
		{[]string{"author", "ws", "--workspace-dir", wsDir}, `missing flags: --dirs=DIRS,...`},
	} {
		code, out, stderr := airlock(t, "", append([]string{"request", "create", "--work-dir", workDir}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, out %q, stderr %q; want %q", c.args, code, out, stderr, c.want)
		}
	}
}

func TestRequestCreateRegular(t *testing.T) {
	workDir, wsDir := createSetup(t)
	file := `[
		{"username": "author", "workspace_name": "ws", "dirs": ["output/tables"], "context": "c", "controls": "k"},
		{"username": "author", "workspace_name": "ws"},
		{"username": null, "workspace_name": "ws", "dirs": ["output/figs"]}
	]`
	if err := os.WriteFile(filepath.Join(workDir, "regular_release_requests.json"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := airlock(t, "", "request", "create-regular", "--work-dir", workDir, "--workspace-dir", wsDir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 3 || !strings.Contains(stderr, "Error: 1 of 3 regular release requests failed") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for i, want := range []string{
		`^1 ws: completed, request \w{26}: Added 2 output and 0 supporting file\(s\) in 1 group\(s\)$`,
		`^2 ws: error: entry 2 \(workspace ws\): keys missing in config: dirs$`,
		`^3 ws: completed, request \w{26}: Added 1 output`,
	} {
		if !regexp.MustCompile(want).MatchString(lines[i]) {
			t.Errorf("line %d: %q, want %s", i+1, lines[i], want)
		}
	}

	// Another file, given by path: nothing new to do, nothing fails.
	other := filepath.Join(t.TempDir(), "other.json")
	os.WriteFile(other, []byte(`[{"username": "author", "workspace_name": "ws", "dirs": ["output/tables"]}]`), 0o644)
	code, out, stderr = airlock(t, "", "request", "create-regular", "--work-dir", workDir, "--workspace-dir", wsDir, "--file", other)
	if code != 0 || !regexp.MustCompile(`^1 ws: completed, request \w{26}: No new files to add\n$`).MatchString(out) {
		t.Errorf("exit %d %q %q", code, out, stderr)
	}
	code, out, stderr = airlock(t, "", "request", "create-regular", "--work-dir", workDir, "--workspace-dir", wsDir, "--file", filepath.Join(workDir, "absent.json"))
	if code != 0 || out != "" {
		t.Errorf("absent file: exit %d %q %q", code, out, stderr)
	}
	os.WriteFile(other, []byte(`{`), 0o644)
	if code, _, stderr := airlock(t, "", "request", "create-regular", "--work-dir", workDir, "--workspace-dir", wsDir, "--file", other); code != 1 || !strings.Contains(stderr, "not a JSON list") {
		t.Errorf("broken file: exit %d %q", code, stderr)
	}
}

func TestRequestValidateRegularConfig(t *testing.T) {
	workDir := t.TempDir()
	p := filepath.Join(workDir, "regular_release_requests.json")
	os.WriteFile(p, []byte(`[{"username": "u", "workspace_name": "ws", "dirs": ["output"]}]`), 0o644)
	code, out, stderr := airlock(t, "", "request", "validate-regular-config", "--work-dir", workDir)
	if code != 0 || out != "======ws======\nConfig OK\nusername: u\nworkspace_name: ws\ndirs: [\"output\"]\n" {
		t.Errorf("valid: exit %d %q %q", code, out, stderr)
	}
	other := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(other, []byte(`[{"username": "u", "workspace_name": "ws", "dirs": ["output"], "submit": true}]`), 0o644)
	code, out, stderr = airlock(t, "", "request", "validate-regular-config", "--file", other)
	if code != 1 || !strings.Contains(out, "- Context and/or controls missing\n") || !strings.Contains(stderr, "invalid entries") {
		t.Errorf("invalid: exit %d %q %q", code, out, stderr)
	}
}
