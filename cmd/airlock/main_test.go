package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store/sqlite"
	"github.com/airlock-go/airlock/internal/testkit"
)

// airlock runs the command line and returns its exit code and output.
func airlock(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// seeded builds a database holding one submitted request and returns the
// work folder and the request id.
func seeded(t *testing.T) (string, string) {
	t.Helper()
	workDir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(workDir, "airlock.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files := testkit.NewFiles()
	svc := service.New(service.Config{Store: st, Workspaces: files, Blobs: files, Logger: discardLogger()})
	author := testkit.NewUser("author", testkit.Researcher, "ws")
	for _, u := range []domain.User{author, testkit.NewUser("admin", testkit.Checker)} {
		if _, err := svc.PutUser(ctx, testkit.UserJSON(u)); err != nil {
			t.Fatal(err)
		}
	}
	files.Write("ws", "out/a.csv", "a\n1\n")
	r, err := svc.AddFiles(ctx, author, "ws", "g", []service.AddFile{{Path: "out/a.csv", FileType: domain.FileOutput}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.EditGroup(ctx, author, r.ID, "g", "ctx", "ctl"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, author, r.ID); err != nil {
		t.Fatal(err)
	}
	return workDir, r.ID
}

func TestAuditListAndFilters(t *testing.T) {
	workDir, id := seeded(t)
	code, out, stderr := airlock(t, "", "audit", "--work-dir", workDir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "REQUEST_SUBMIT") || !strings.Contains(lines[3], "REQUEST_CREATE") {
		t.Fatalf("audit output:\n%s", out)
	}
	if !strings.Contains(lines[2], "user=author workspace=ws request="+id+" path=out/a.csv filetype=OUTPUT group=g review_turn=0") {
		t.Errorf("line format: %s", lines[2])
	}
	for _, args := range [][]string{{"--user", "nobody"}, {"--workspace", "other"}, {"--request", "nope"}} {
		code, out, _ := airlock(t, "", append([]string{"audit", "--work-dir", workDir}, args...)...)
		if code != 0 || out != "" {
			t.Errorf("audit %v: exit %d, %q", args, code, out)
		}
	}
	code, out, _ = airlock(t, "", "audit", "list", "--work-dir", workDir, "-u", "author", "-r", id, "--limit", "1")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("limited audit: %q", out)
	}
	// --words tells each event as the request pages do.
	code, out, _ = airlock(t, "", "audit", "--work-dir", workDir, "--words")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasSuffix(lines[0], "request "+id+": author submitted the request for review") ||
		!strings.HasSuffix(lines[2], ": author added out/a.csv to group g as an output") {
		t.Errorf("audit --words:\n%s", out)
	}
}

// TestAuditVerifyNamesTheTamperedEvent changes, deletes and reorders
// stored events behind airlock's back.
func TestAuditVerifyNamesTheTamperedEvent(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want string
	}{
		{"changed", `UPDATE audit_log SET user = 'mallory' WHERE id = 2`, "audit event 2: its content does not match"},
		{"deleted", `DELETE FROM audit_log WHERE id = 2`, "audit event 3: does not follow event 1"},
		{"reordered", `UPDATE audit_log SET id = -2 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 3; UPDATE audit_log SET id = 3 WHERE id = -2`, "audit event 2"},
		{"last removed", `DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)`, "events at the end were removed"},
		{"hidden", `UPDATE audit_log SET hidden = 1 WHERE id = 2`, "audit event 2: hidden without an early return"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			workDir, _ := seeded(t)
			if code, out, stderr := airlock(t, "", "audit", "verify", "--work-dir", workDir); code != 0 || !strings.Contains(out, "intact: 4 events") {
				t.Fatalf("before tampering: exit %d %s %s", code, out, stderr)
			}
			db, err := sql.Open("sqlite", filepath.Join(workDir, "airlock.db"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			db.Close()
			code, _, stderr := airlock(t, "", "audit", "verify", "--work-dir", workDir)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr, tt.want)
			}
		})
	}
}

func TestChangeStatus(t *testing.T) {
	workDir, id := seeded(t)
	code, out, _ := airlock(t, "n\n", "request", "change-status", id, "--user", "admin", "--status", "WITHDRAWN", "--work-dir", workDir)
	if code != 0 || !strings.Contains(out, "Aborted") {
		t.Fatalf("declined: exit %d %q", code, out)
	}
	code, out, _ = airlock(t, "y\n", "request", "change-status", id, "--user", "admin", "--status", "WITHDRAWN", "--work-dir", workDir)
	if code != 0 || !strings.Contains(out, "from SUBMITTED to WITHDRAWN") || !strings.Contains(out, "Succeeded") {
		t.Fatalf("confirmed: exit %d %q", code, out)
	}
	code, _, stderr := airlock(t, "", "request", "change-status", id, "--user", "admin", "--status", "WITHDRAWN", "--yes", "--work-dir", workDir)
	if code != 1 || !strings.Contains(stderr, "already WITHDRAWN") {
		t.Errorf("again: exit %d %q", code, stderr)
	}
	code, _, stderr = airlock(t, "", "request", "change-status", id, "--user", "nobody", "--status", "REJECTED", "--yes", "--work-dir", workDir)
	if code != 1 || !strings.Contains(stderr, "no user nobody") {
		t.Errorf("unknown user: exit %d %q", code, stderr)
	}
	code, _, stderr = airlock(t, "", "request", "change-status", id, "--user", "admin", "--status", "APPROVED", "--yes", "--work-dir", workDir)
	if code != 2 || !strings.Contains(stderr, `"REJECTED","WITHDRAWN"`) {
		t.Errorf("bad status: exit %d %q", code, stderr)
	}
	code, _, stderr = airlock(t, "", "request", "change-status", "01NOPE", "--user", "admin", "--status", "REJECTED", "--yes", "--work-dir", workDir)
	if code != 1 || !strings.Contains(stderr, "There is no release request 01NOPE") {
		t.Errorf("unknown request: exit %d %q", code, stderr)
	}
}

func TestStatemachineDiagramFollowsTheTable(t *testing.T) {
	code, out, _ := airlock(t, "", "statemachine")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, tr := range domain.Transitions() {
		if !strings.Contains(out, string(tr.From)+" --> "+string(tr.To)+": ") {
			t.Errorf("diagram lacks %s → %s", tr.From, tr.To)
		}
	}
	path := filepath.Join(t.TempDir(), "states.md")
	if code, _, _ := airlock(t, "", "statemachine", path); code != 0 {
		t.Fatalf("writing %s failed", path)
	}
}

func TestServeRefusesBadSettings(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.json")
	badChecks := filepath.Join(dir, "checks.json")
	if err := os.WriteFile(badChecks, []byte(`{"rules": {"small_count": {"threshold": -1}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"users file missing", []string{"--workspace-dir", dir, "--dev-users-file", users}, nil, "AIRLOCK_DEV_USERS_FILE (--dev-users-file)"},
		{"neither login", []string{"--workspace-dir", dir}, nil, "AIRLOCK_DEV_USERS_FILE (--dev-users-file) and AIRLOCK_API_TOKEN"},
		{"no workspace dir", []string{"--api-token", "t"}, nil, "AIRLOCK_WORKSPACE_DIR (--workspace-dir) is required"},
		{"missing workspace dir", []string{"--api-token", "t", "--workspace-dir", filepath.Join(dir, "nope")}, nil, "AIRLOCK_WORKSPACE_DIR"},
		{"trailing slash", []string{"--api-token", "t", "--workspace-dir", dir, "--api-endpoint", "https://x.org/api/"}, nil, "must not end with /"},
		{"bad endpoint", []string{"--api-token", "t", "--workspace-dir", dir, "--api-endpoint", "ftp://x"}, nil, "AIRLOCK_API_ENDPOINT"},
		{"bad webhook", []string{"--api-token", "t", "--workspace-dir", dir, "--webhook-url", "nope"}, nil, "AIRLOCK_WEBHOOK_URL"},
		{"bad delay", []string{"--api-token", "t", "--workspace-dir", dir, "--upload-delay=-1"}, nil, "AIRLOCK_UPLOAD_DELAY"},
		{"bad delay from env", []string{"--api-token", "t", "--workspace-dir", dir}, map[string]string{"AIRLOCK_UPLOAD_RETRY_DELAY": "soon"}, "AIRLOCK_UPLOAD_RETRY_DELAY"},
		{"bad database", []string{"--api-token", "t", "--workspace-dir", dir, "--database-url", "mysql://x"}, nil, "AIRLOCK_DATABASE_URL"},
		{"bad listen", []string{"--api-token", "t", "--workspace-dir", dir, "--listen", "nowhere"}, nil, "AIRLOCK_LISTEN"},
		{"missing checks config", []string{"--api-token", "t", "--workspace-dir", dir, "--checks-config", filepath.Join(dir, "nope.json")}, nil, "AIRLOCK_CHECKS_CONFIG (--checks-config)"},
		{"bad checks config", []string{"--api-token", "t", "--workspace-dir", dir}, map[string]string{"AIRLOCK_CHECKS_CONFIG": badChecks}, "small_count"},
		{"tracing by grpc", []string{"--api-token", "t", "--workspace-dir", dir}, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL (--otel-exporter-otlp-protocol): airlock sends traces by OTLP over HTTP"},
		{"bad tracing endpoint", []string{"--api-token", "t", "--workspace-dir", dir}, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, _, stderr := airlock(t, "", append([]string{"serve"}, tt.args...)...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr, tt.want)
			}
		})
	}
}

func TestDemoServes(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	e := &env{ctx: ctx, log: discardLogger(), stdin: strings.NewReader(""), stdout: &out}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- (&demoCmd{Dir: dir, Listen: "127.0.0.1:0"}).run(e, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("demo stopped: %v", err)
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("readyz %d %s", resp.StatusCode, body)
	}
	apiEndToEnd(t, "http://"+addr, dir)
	clientEndToEnd(t, "http://"+addr, dir)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo: %v", err)
	}
	for _, want := range []string{"http://" + addr, "researcher", "checker1", "checker2", "copilot", "support"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	// The users file was loaded: the admin command knows its users.
	code, _, stderr := airlock(t, "", "request", "change-status", "01NOPE", "--user", "checker1", "--status", "REJECTED", "--yes", "--work-dir", filepath.Join(dir, "workdir"))
	if code != 1 || !strings.Contains(stderr, "There is no release request") {
		t.Errorf("demo users not loaded: %q", stderr)
	}
}

// apiEndToEnd drives the demo's JSON API as a researcher would: log in,
// browse, add a file of a real workspace, write context, submit.
func apiEndToEnd(t *testing.T, base, dir string) {
	t.Helper()
	users, err := auth.LoadUsersFile(filepath.Join(dir, "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for _, u := range users {
		if u.User.Username == "researcher" {
			token = u.Token
		}
	}
	do := func(method, path, bearer, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		json.Unmarshal(raw, &out)
		return resp.StatusCode, out
	}
	status, tok := do("POST", "/api/v1/auth/token", "", `{"user": "researcher", "token": "`+token+`"}`)
	if status != 201 {
		t.Fatalf("login: %d %v", status, tok)
	}
	bearer := tok["token"].(string)
	status, folder := do("GET", "/api/v1/workspaces/diabetes-outcomes/files/output/tables", bearer, "")
	if status != 200 || len(folder["children"].([]any)) == 0 {
		t.Fatalf("browse: %d %v", status, folder)
	}
	status, req := do("POST", "/api/v1/workspaces/diabetes-outcomes/request/files", bearer,
		`{"group": "tables", "files": [{"path": "output/tables/counts_by_region.csv", "filetype": "OUTPUT"}]}`)
	if status != 200 || req["status"] != "PENDING" {
		t.Fatalf("add: %d %v", status, req)
	}
	id := req["id"].(string)
	if status, g := do("PUT", "/api/v1/requests/"+id+"/groups/tables", bearer, `{"context": "Counts by region", "controls": "Rounded to 5"}`); status != 200 {
		t.Fatalf("context: %d %v", status, g)
	}
	if status, r := do("POST", "/api/v1/requests/"+id+"/submit", bearer, ""); status != 200 || r["status"] != "SUBMITTED" {
		t.Fatalf("submit: %d %v", status, r)
	}
	if status, _ := do("GET", "/metrics", "", ""); status != 200 {
		t.Errorf("metrics: %d", status)
	}
}

// clientEndToEnd drives the demo with `airlock client` as a pipeline
// would: an output checker logs in, finds the researcher's submitted
// request, votes and submits a review.
func clientEndToEnd(t *testing.T, base, dir string) {
	t.Helper()
	t.Setenv("AIRLOCK_CLIENT_CONFIG", filepath.Join(t.TempDir(), "client.json"))
	users, err := auth.LoadUsersFile(filepath.Join(dir, "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, u := range users {
		tokens[u.User.Username] = u.Token
	}
	client := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errOut := airlock(t, stdin, append([]string{"client"}, args...)...)
		if code != 0 {
			t.Fatalf("airlock client %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out
	}
	client(tokens["checker1"]+"\n", "login", base, "--user", "checker1")
	out := client("", "requests", "--review")
	id := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " Submitted ") {
			id = strings.Fields(line)[0]
		}
	}
	if id == "" {
		t.Fatalf("no submitted request to review:\n%s", out)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(client("", "--json", "show", id)), &doc); err != nil || doc["id"] != id {
		t.Fatalf("show --json: %v %v", err, doc)
	}
	client("", "vote", id, "output/tables/counts_by_region.csv", "approve")
	client("", "review", id)
	if out := client("", "show", id); !strings.Contains(out, "One review submitted") {
		t.Errorf("after review:\n%s", out)
	}
	client("", "logout")
}
