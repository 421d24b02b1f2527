package service_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// diskEnv is an Env whose service reads real workspaces on disk and keeps
// real request-file copies.
func diskEnv(t *testing.T) (*testkit.Env, *testkit.DiskWorkspace, *blobstore.Store, *workspace.Reader) {
	t.Helper()
	e := testkit.NewEnv(t)
	wsDir := t.TempDir()
	w := testkit.NewDiskWorkspace(t, wsDir, testkit.Workspace)
	w.Output("output/a.csv", "region,n\nNorth,10\n", nil).
		Output("output/b.csv", "region,n\nSouth,15\n", nil).
		Output("output/c.png", "\x89PNG", nil).
		Output("output/model.pkl", "binary", nil).
		WriteFile("metadata/generate.log", "job ran\n").
		Save()
	blobs, err := blobstore.New(filepath.Join(t.TempDir(), "requests"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	reader := workspace.NewReader(wsDir)
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: reader, Blobs: blobs, Notifier: e.Notes, Now: e.Clock.Now,
	})
	return e, w, blobs, reader
}

func outputs(paths ...string) []service.AddFile {
	var out []service.AddFile
	for _, p := range paths {
		out = append(out, service.AddFile{Path: p, FileType: domain.FileOutput})
	}
	return out
}

func TestAddFilesFromDisk(t *testing.T) {
	e, w, blobs, reader := diskEnv(t)
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", append(outputs("output/a.csv", "output/c.png"),
		service.AddFile{Path: "metadata/generate.log", FileType: domain.FileSupporting})))
	if got := testkit.SortedPaths(r); !slices.Equal(got, []string{"g:metadata/generate.log:SUPPORTING", "g:output/a.csv:OUTPUT", "g:output/c.png:OUTPUT"}) {
		t.Fatalf("files %v", got)
	}
	a, _ := r.File("output/a.csv")
	if a.Size != 18 || *a.RowCount != 1 || a.JobID == "" {
		t.Errorf("manifest metadata not copied: %+v", a)
	}
	f, err := blobs.Open(testkit.Workspace, a.FileID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "region,n\nNorth,10\n" {
		t.Errorf("stored copy %q", b)
	}

	// Bad files anywhere in a batch: nothing is added.
	for _, bad := range [][]service.AddFile{
		outputs("output/b.csv", "output/model.pkl"),
		outputs("output/b.csv", "output/../metadata/manifest.json"),
		outputs("output/b.csv", "output/highly_sensitive/patients.csv"),
		outputs("output/b.csv", "output/nope.csv"),
		outputs("output/b.csv", "metadata/generate.log"),
	} {
		before := e.Get(r.ID)
		if _, err := e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", bad); err == nil {
			t.Errorf("adding %v succeeded", bad)
		}
		if after := e.Get(r.ID); after.Version != before.Version || len(after.Files) != len(before.Files) {
			t.Errorf("adding %v changed the request", bad)
		}
	}

	// A file changed on disk behind the manifest's back cannot be added.
	os.WriteFile(filepath.Join(w.Dir, "output", "b.csv"), []byte("region,n\nSouth,3\n"), 0o644)
	_, err = e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", outputs("output/b.csv"))
	if !errors.Is(err, domain.ErrPolicy) {
		t.Fatalf("a file not matching its manifest was added: %v", err)
	}

	// A job rewrites a.csv and the manifest: the author updates it.
	w.Output("output/a.csv", "region,n\nNorth,20\n", nil).Save()
	st, err := e.Svc.WorkspaceFileStatus(e.Ctx, e.Author, testkit.Workspace, mustFile(t, reader, "output/a.csv"))
	if err != nil || st != domain.WorkspaceFileUpdated {
		t.Fatalf("status after the job: %s %v", st, err)
	}
	r = e.R(e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{"output/a.csv"}))
	a2, _ := r.File("output/a.csv")
	if a2.FileID == a.FileID {
		t.Error("update kept the old copy")
	}
	// The old copy stays: requests never lose what was reviewed.
	if f, err := blobs.Open(testkit.Workspace, a.FileID); err != nil {
		t.Errorf("old copy gone: %v", err)
	} else {
		f.Close()
	}
}

func mustFile(t *testing.T, r *workspace.Reader, p string) domain.WorkspaceFile {
	t.Helper()
	f, err := r.File(t.Context(), testkit.Workspace, p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestViewingFilesIsAudited(t *testing.T) {
	e, _, _, _ := diskEnv(t)
	f, entry, err := e.Svc.ViewWorkspaceFile(e.Ctx, e.Copilot, testkit.Workspace, "output/a.csv")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "region,n\nNorth,10\n" || entry.Size != 18 {
		t.Errorf("viewed %q %+v", b, entry)
	}
	for _, p := range []string{"output/highly_sensitive/patients.csv", "output", "../x.csv"} {
		if _, _, err := e.Svc.ViewWorkspaceFile(e.Ctx, e.Author, testkit.Workspace, p); err == nil {
			t.Errorf("viewed %s", p)
		}
	}
	if _, _, err := e.Svc.ViewWorkspaceFile(e.Ctx, e.Outsider, testkit.Workspace, "output/a.csv"); !errors.Is(err, domain.ErrPermissionDenied) {
		t.Errorf("outsider viewed a file: %v", err)
	}
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", outputs("output/a.csv")))
	fh, rf, err := e.Svc.ViewRequestFile(e.Ctx, e.Author, r.ID, "output/a.csv")
	if err != nil || rf.Relpath != "output/a.csv" {
		t.Fatalf("author views own request file: %v", err)
	}
	fh.Close()
	views, err := e.Svc.AuditLog(e.Ctx, service.AuditFilter{Workspace: testkit.Workspace, ExcludeTypes: []domain.EventType{
		domain.EventRequestCreate, domain.EventRequestFileAdd}})
	e.OK(err)
	if len(views) != 2 || views[0].Type != domain.EventRequestFileView || views[1].Type != domain.EventWorkspaceFileView {
		t.Errorf("audit %+v", views)
	}
}
