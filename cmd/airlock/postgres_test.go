package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/demo"
	"github.com/airlock-go/airlock/internal/store/postgres/pgtest"
)

// TestMigratePostgres: `airlock migrate` applies the PostgreSQL
// migrations once, and never prints the password.
func TestMigratePostgres(t *testing.T) {
	u := pgtest.NewDatabase(t)
	code, out, stderr := airlock(t, "", "migrate", "--database-url", u)
	if code != 0 || strings.Count(out, "applied ") != 7 || !strings.Contains(out, "applied 00007_file_versions.sql") {
		t.Fatalf("first migrate: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = airlock(t, "", "migrate", "--database-url", u)
	if code != 0 || !strings.Contains(out, "is up to date") {
		t.Fatalf("second migrate: exit %d\n%s%s", code, out, stderr)
	}
	if pu, _ := url.Parse(u); pu != nil {
		if pw, ok := pu.User.Password(); ok && strings.Contains(out+stderr, ":"+pw+"@") {
			t.Errorf("migrate printed the password: %s", out)
		}
	}
}

// TestServeOnPostgres runs the server on PostgreSQL and drives it through
// the JSON API, `airlock client`, and the web login (sessions in the
// database).
func TestServeOnPostgres(t *testing.T) {
	u := pgtest.NewDatabase(t)
	dir := t.TempDir()
	setup, err := demo.Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Server{
		Database:     config.Database{WorkDir: filepath.Join(dir, "workdir"), DatabaseURL: u},
		WorkspaceDir: setup.WorkspaceDir, DevUsersFile: setup.UsersFile,
		Listen: "127.0.0.1:0", APIEndpoint: "https://jobs.opensafely.org/api/v2",
		UploadDelay: 1, UploadRetryDelay: 60, UploadWorkers: 2, UploadLease: time.Minute,
	}
	addr, stop := startServe(t, discardLogger(), cfg)
	base := "http://" + addr
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz: %d", resp.StatusCode)
	}
	apiEndToEnd(t, base, dir)
	clientEndToEnd(t, base, dir)
	webLogin(t, base, dir)
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	// The request folder and the database are the server's; nothing was
	// written to a SQLite file.
	if _, err := os.Stat(filepath.Join(dir, "workdir", "airlock.db")); !os.IsNotExist(err) {
		t.Errorf("a SQLite database was created beside PostgreSQL: %v", err)
	}
	code, out, stderr := airlock(t, "", "audit", "verify", "--database-url", u)
	if code != 0 || !strings.Contains(out, "audit log intact") {
		t.Errorf("audit verify on PostgreSQL: exit %d\n%s%s", code, out, stderr)
	}
}

// webLogin logs in with the login form and reaches a page that needs the
// session.
func webLogin(t *testing.T, base, dir string) {
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
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", base+"/login/", strings.NewReader(url.Values{"user": {"researcher"}, "token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web login: %d", resp.StatusCode)
	}
	resp, err = c.Get(base + "/workspaces/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "diabetes-outcomes") {
		t.Errorf("workspaces page after login: %d\n%.500s", resp.StatusCode, body)
	}
}

func TestBackupSQLite(t *testing.T) {
	workDir, _ := seeded(t)
	to := filepath.Join(t.TempDir(), "backup.db")
	code, out, stderr := airlock(t, "", "backup", "--work-dir", workDir, "--to", to)
	if code != 0 || !strings.Contains(out, "backed up "+filepath.Join(workDir, "airlock.db")+" to "+to) {
		t.Fatalf("backup: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = airlock(t, "", "audit", "verify", "--database-url", "sqlite:"+to)
	if code != 0 || !strings.Contains(out, "intact: 4 events") {
		t.Errorf("audit verify of the backup: exit %d\n%s%s", code, out, stderr)
	}
	code, _, stderr = airlock(t, "", "backup", "--work-dir", workDir, "--to", to)
	if code == 0 || !strings.Contains(stderr, "exists") {
		t.Errorf("backup over an existing file: exit %d, %s", code, stderr)
	}
}

// TestBackupPostgres: for PostgreSQL, backup says exactly how to run
// pg_dump, without the password or airlock's own URL settings.
func TestBackupPostgres(t *testing.T) {
	to := filepath.Join(t.TempDir(), "it's.dump")
	tests := []struct {
		name, url string
		want      []string
		notWant   []string
	}{
		{"with a password", "postgres://airlock:s3cret@db.example:5432/airlock?sslmode=require&pool_max_conns=8",
			[]string{"PGPASSWORD='<the password in AIRLOCK_DATABASE_URL>' pg_dump --format=custom --file='" + strings.ReplaceAll(to, "'", `'\''`) + "' --dbname='postgres://airlock@db.example:5432/airlock?sslmode=require'", "pg_restore"},
			[]string{"s3cret", "pool_max_conns"}},
		{"without", "postgresql://db/airlock",
			[]string{"pg_dump --format=custom --file=", "--dbname='postgresql://db/airlock'"},
			[]string{"PGPASSWORD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := airlock(t, "", "backup", "--database-url", tt.url, "--to", to)
			if code == 0 {
				t.Fatalf("backup of PostgreSQL succeeded: %s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("message lacks %q:\n%s", w, stderr)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(stderr, w) {
					t.Errorf("message shows %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestDBCopy(t *testing.T) {
	workDir, id := seeded(t)
	u := pgtest.NewDatabase(t)
	from := "sqlite:" + filepath.Join(workDir, "airlock.db")
	code, out, stderr := airlock(t, "", "db", "copy", "--from", from, "--to", u)
	if code != 0 {
		t.Fatalf("db copy: exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"  requests           1\n", "  audit_log          4\n", "verified: every table matches row by row", "audit log intact on PostgreSQL, 4 events"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The copy serves the same audit log.
	code, out, _ = airlock(t, "", "audit", "--database-url", u, "-r", id)
	if code != 0 || strings.Count(out, "\n") != 4 {
		t.Errorf("audit on the copy: exit %d\n%s", code, out)
	}
	// A second copy into the filled database is refused.
	code, _, stderr = airlock(t, "", "db", "copy", "--from", from, "--to", u)
	if code == 0 || !strings.Contains(stderr, "not empty") {
		t.Errorf("second db copy: exit %d, %s", code, stderr)
	}
	for _, args := range [][]string{
		{"--from", u, "--to", u},
		{"--from", from, "--to", from},
	} {
		if code, _, stderr := airlock(t, "", append([]string{"db", "copy"}, args...)...); code == 0 || !strings.Contains(stderr, "need") {
			t.Errorf("db copy %v: exit %d, %s", args, code, stderr)
		}
	}
}
