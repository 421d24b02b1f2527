package importref

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/testkit"
)

func TestImportGenerated(t *testing.T) {
	for _, reordered := range []bool{false, true} {
		t.Run(map[bool]string{false: "columns as migrated", true: "columns reordered"}[reordered], func(t *testing.T) {
			gen := generate(t, t.TempDir(), genOptions{Requests: 40, Files: 5, Views: 3, Reordered: reordered})
			tg := newTarget(t)
			ctx := context.Background()
			rep, err := tg.run(t, gen.WorkDir, nil)
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if rep.Imported["requests"] != 40 || rep.Imported["request_files"] != 200 || rep.Imported["audit_log"] != int64(gen.Events) {
				t.Errorf("imported %v, generated %d events", rep.Imported, gen.Events)
			}
			if rep.Copies != len(gen.Blobs) {
				t.Errorf("%d copies, generated %d", rep.Copies, len(gen.Blobs))
			}
			comments := map[string]int{}
			due := 0
			for _, id := range gen.Requests {
				r, err := tg.env.Svc.GetRequest(ctx, domain.SystemUser(), id)
				if err != nil {
					t.Fatal(err)
				}
				if string(r.Status) != gen.Status[id] {
					t.Errorf("%s: %s, want %s", id, r.Status, gen.Status[id])
				}
				for _, c := range r.Comments {
					comments[string(c.Visibility)]++
					if !strings.Contains(c.Text, "—") || !strings.Contains(c.Text, "é") {
						t.Errorf("comment text %q lost its characters", c.Text)
					}
				}
				for _, f := range r.Files {
					if f.ReleasedAt != nil && !f.Uploaded {
						due++
					}
				}
				if r.Status == domain.StatusReturned {
					if f, ok := r.File("output/figures/file_3.csv"); !ok || f.FileType != domain.FileWithdrawn || len(f.Reviews) == 0 {
						t.Errorf("%s: the withdrawn file lost its type or votes: %+v", id, f)
					}
				}
			}
			if comments["PUBLIC"] != gen.Comments["PUBLIC"] || comments["PRIVATE"] != gen.Comments["PRIVATE"] {
				t.Errorf("comments %v, generated %v", comments, gen.Comments)
			}
			if due != gen.MidUpload || due == 0 {
				t.Errorf("%d files waiting for upload, generated %d", due, gen.MidUpload)
			}
			// Every file waiting is claimed by the uploader, one by one.
			claimed := 0
			for {
				_, err := tg.env.Store.ClaimUpload(ctx, "test", time.Now(), time.Now().Add(time.Hour))
				if errors.Is(err, store.ErrNotFound) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				claimed++
			}
			if claimed != gen.MidUpload {
				t.Errorf("the uploader claimed %d files, %d are waiting", claimed, gen.MidUpload)
			}
			// Hidden rows stay hidden, and the chain verifies.
			if n := testkit.VerifyAudit(t, tg.env.Store); n != gen.Events {
				t.Errorf("audit log has %d events, generated %d", n, gen.Events)
			}
		})
	}
}

func TestImportCopyProblems(t *testing.T) {
	gen := generate(t, t.TempDir(), genOptions{Requests: 10, Files: 4})
	missing, wrong := gen.Blobs[0], gen.Blobs[3]
	if err := os.Remove(missing); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrong, []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := gen.Blobs[5]
	os.Remove(fifo)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := gen.Blobs[7]
	os.Remove(link)
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{missing: "missing", wrong: "sha256", fifo: "not a regular file", link: ""}

	tg := newTarget(t)
	rep, err := tg.run(t, gen.WorkDir, nil)
	if !errors.Is(err, ErrCopies) {
		t.Fatalf("import: %v, want ErrCopies", err)
	}
	checkProblems(t, rep, want)
	if rs, _ := tg.env.Store.ListRequests(context.Background(), store.RequestFilter{}); len(rs) != 0 {
		t.Errorf("a refused import wrote %d requests", len(rs))
	}

	rep, err = tg.run(t, gen.WorkDir, func(o *Options) { o.AllowMissing = true })
	if err != nil {
		t.Fatalf("import --allow-missing: %v", err)
	}
	checkProblems(t, rep, want)
	if rep.Imported["requests"] != 10 {
		t.Errorf("imported %v", rep.Imported)
	}
}

func checkProblems(t *testing.T, rep *Report, want map[string]string) {
	t.Helper()
	if rep == nil || len(rep.Problems) != len(want) {
		t.Fatalf("problems %+v, want %d", rep, len(want))
	}
	for _, p := range rep.Problems {
		why, ok := want[p.Path]
		if !ok || !strings.Contains(p.Why, why) {
			t.Errorf("problem %s: %s, want %q", p.Path, p.Why, why)
		}
	}
}

func TestImportDryRun(t *testing.T) {
	gen := generate(t, t.TempDir(), genOptions{Requests: 12, Files: 3})
	rep, err := Import(context.Background(), nil, nil, Options{
		DB: filepath.Join(gen.WorkDir, "db.sqlite3"), RequestDir: filepath.Join(gen.WorkDir, "requests"), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Source["local_db_requestmetadata"] != 12 || rep.Copies != len(gen.Blobs) || len(rep.Imported) != 0 {
		t.Errorf("dry run report %+v", rep)
	}
	// A dry run finds the same problems an import would.
	os.WriteFile(gen.Blobs[0], []byte("changed"), 0o644)
	rep, err = Import(context.Background(), nil, nil, Options{
		DB: filepath.Join(gen.WorkDir, "db.sqlite3"), RequestDir: filepath.Join(gen.WorkDir, "requests"), DryRun: true})
	if !errors.Is(err, ErrCopies) || len(rep.Problems) != 1 {
		t.Errorf("dry run with a changed copy: %v %+v", err, rep)
	}
}

func TestImportBadSource(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "not.db")
	os.WriteFile(notDB, []byte("hello"), 0o644)
	gen := generate(t, t.TempDir(), genOptions{Requests: 3})
	db := filepath.Join(gen.WorkDir, "db.sqlite3")
	for _, tc := range []struct {
		name, db, want string
		prepare        func()
	}{
		{"no such file", filepath.Join(dir, "none.db"), "no such file", nil},
		{"a folder", dir, "not a regular file", nil},
		{"not SQLite", notDB, "", nil},
		{"a column missing", db, "lacks local_db_auditlog.hidden", func() {
			execSource(t, db, `ALTER TABLE local_db_auditlog DROP COLUMN hidden`)
		}},
		{"an unknown status", db, "unknown status", func() {
			execSource(t, db, `CREATE TABLE x (a); ALTER TABLE local_db_auditlog ADD COLUMN hidden bool NOT NULL DEFAULT 0; UPDATE local_db_requestmetadata SET status = 'LOST' WHERE rowid = 1`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prepare != nil {
				tc.prepare()
			}
			tg := newTarget(t)
			_, err := tg.run(t, gen.WorkDir, func(o *Options) { o.DB = tc.db })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: %v, want %q", err, tc.want)
			}
			if rs, _ := tg.env.Store.ListRequests(context.Background(), store.RequestFilter{}); len(rs) != 0 {
				t.Errorf("a refused import wrote %d requests", len(rs))
			}
		})
	}
}

func execSource(t *testing.T, path, stmts string) {
	t.Helper()
	src, err := openRW(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Exec(stmts); err != nil {
		t.Fatal(err)
	}
}
