package service_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/gitrepo"
	"github.com/airlock-go/airlock/internal/gitrepo/gitrepotest"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// codeEnv is an Env whose service reads the study's repositories.
func codeEnv(t *testing.T) (*testkit.Env, *gitrepotest.Study) {
	e := testkit.NewEnv(t)
	st := gitrepotest.New(t, "study")
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now,
		Code: gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL, Backoff: time.Millisecond}),
	})
	return e, st
}

func TestCodeIsForThoseWhoMaySeeTheWorkspace(t *testing.T) {
	e, st := codeEnv(t)
	e.Files.Write(testkit.Workspace, "output/report.csv", "a,b\n1,2\n")
	e.Files.SetOrigin(testkit.Workspace, "output/report.csv", st.RepoURL, st.Commit1, "make_report")
	for _, u := range []domain.User{e.Author, e.C1, e.ReadOnly, e.Copilot} {
		if _, err := e.Svc.BrowseCode(e.Ctx, u, testkit.Workspace, st.Commit1, ""); err != nil {
			t.Errorf("%s: %v", u.Username, err)
		}
	}
	if _, err := e.Svc.BrowseCode(e.Ctx, e.Outsider, testkit.Workspace, st.Commit1, ""); !errors.Is(err, domain.ErrPermissionDenied) {
		t.Errorf("outsider: %v", err)
	}
	if _, _, err := e.Svc.ReadCode(e.Ctx, e.Outsider, testkit.Workspace, st.Commit1, "project.yaml"); !errors.Is(err, domain.ErrPermissionDenied) {
		t.Errorf("outsider read: %v", err)
	}
	v, err := e.Svc.BrowseCode(e.Ctx, e.Author, testkit.Workspace, st.Commit2, "analysis")
	if err != nil || v.Title() != "study@"+st.Commit2[:7] || len(v.Children) != 2 {
		t.Fatalf("browse: %v %+v", err, v)
	}
}

func TestWorkspaceFileCause(t *testing.T) {
	e, st := codeEnv(t)
	e.Files.Write(testkit.Workspace, "output/report.csv", "a,b\n1,2\n")
	e.Files.SetOrigin(testkit.Workspace, "output/report.csv", st.RepoURL, st.Commit1, "make_report")
	c, err := e.Svc.WorkspaceFileCause(e.Ctx, e.Author, testkit.Workspace, "output/report.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Found || c.Action.Run != "python:latest analysis/report.py --input output/dataset.csv.gz" ||
		strings.Join(c.Scripts, ",") != "analysis/report.py" || len(c.Missing) != 0 || c.Action.Line != 10 || c.Action.EndLine != 15 {
		t.Fatalf("cause %+v", c)
	}
	// An action project.yaml does not have, and none recorded.
	e.Files.SetOrigin(testkit.Workspace, "output/report.csv", st.RepoURL, st.Commit1, "no_such_action")
	if c, err := e.Svc.WorkspaceFileCause(e.Ctx, e.Author, testkit.Workspace, "output/report.csv"); err != nil || c.Found || !strings.Contains(c.Problem, "has no action no_such_action") {
		t.Fatalf("unknown action: %v %+v", err, c)
	}
	e.Files.SetOrigin(testkit.Workspace, "output/report.csv", st.RepoURL, st.Commit1, "")
	if c, err := e.Svc.WorkspaceFileCause(e.Ctx, e.Author, testkit.Workspace, "output/report.csv"); err != nil || c.Found || c.Problem == "" {
		t.Fatalf("no action: %v %+v", err, c)
	}
	// A commit that is not one: refused before git is asked anything.
	e.Files.SetOrigin(testkit.Workspace, "output/report.csv", st.RepoURL, "--output=/tmp/x", "make_report")
	if _, err := e.Svc.WorkspaceFileCause(e.Ctx, e.Author, testkit.Workspace, "output/report.csv"); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("bad commit: %v", err)
	}
	if _, err := e.Svc.WorkspaceFileCause(e.Ctx, e.Outsider, testkit.Workspace, "output/report.csv"); !errors.Is(err, domain.ErrPermissionDenied) {
		t.Fatalf("outsider: %v", err)
	}
}

// resubmitAtCommits builds a request whose output was voted on at v1
// (produced at commit from) and updated to v2 (produced at commit to).
func resubmitAtCommits(e *testkit.Env, st *gitrepotest.Study, from, to string) *domain.Request {
	p := "output/report.csv"
	e.Files.Write(testkit.Workspace, p, "a,b\n1,2\n")
	e.Files.SetOrigin(testkit.Workspace, p, st.RepoURL, from, "make_report")
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{{Path: p, FileType: domain.FileOutput}}))
	_, _, err := e.Svc.EditGroup(e.Ctx, e.Author, r.ID, "g", "Counts", "Rounded")
	e.OK(err)
	e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	e.Review(r.ID, e.C1, domain.VoteChangesRequested)
	e.Review(r.ID, e.C2, domain.VoteChangesRequested)
	e.R(e.Svc.Return(e.Ctx, e.C1, r.ID))
	e.Files.Write(testkit.Workspace, p, "a,b\n0,0\n")
	e.Files.SetOrigin(testkit.Workspace, p, st.RepoURL, to, "make_report")
	e.R(e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{p}))
	_, err = e.Svc.CreateComment(e.Ctx, e.Author, r.ID, "g", "Rounded.", domain.VisibilityPublic)
	e.OK(err)
	return e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
}

func TestCodeChangedSinceReviewed(t *testing.T) {
	e, st := codeEnv(t)
	r := resubmitAtCommits(e, st, st.Commit1, st.Commit2)
	c, ch, err := e.Svc.RequestFileCause(e.Ctx, e.C1, r.ID, "output/report.csv")
	if err != nil {
		t.Fatal(err)
	}
	if c.Commit != st.Commit2 || !c.Found {
		t.Fatalf("cause %+v", c)
	}
	if ch == nil || ch.From != st.Commit1 || ch.To != st.Commit2 || ch.FromVersion != 1 || ch.ToV != 2 || !ch.Changed() {
		t.Fatalf("changes %+v", ch)
	}
	got := map[string]service.CodeChange{}
	for _, f := range ch.Files {
		got[f.Path] = f
	}
	if f := got["project.yaml"]; f.State != "changed" || f.Text == nil || f.Text.Added != 1 || f.Text.Removed != 1 {
		t.Fatalf("project.yaml %+v", f)
	}
	if f := got["analysis/report.py"]; f.State != "changed" || f.Text == nil || f.Text.Added != 1 || f.Text.Removed != 0 {
		t.Fatalf("report.py %+v", f)
	}
	// The author never voted: nothing changed "since they reviewed".
	if _, ch, err := e.Svc.RequestFileCause(e.Ctx, e.Author, r.ID, "output/report.csv"); err != nil || ch != nil {
		t.Fatalf("author: %v %+v", err, ch)
	}
	if _, _, err := e.Svc.RequestFileCause(e.Ctx, e.Outsider, r.ID, "output/report.csv"); err == nil {
		t.Fatal("an outsider saw the code of the request")
	}
}

func TestCodeUnchangedWhenTheCommitIsTheSame(t *testing.T) {
	e, st := codeEnv(t)
	r := resubmitAtCommits(e, st, st.Commit2, st.Commit2)
	if _, ch, err := e.Svc.RequestFileCause(e.Ctx, e.C1, r.ID, "output/report.csv"); err != nil || ch != nil {
		t.Fatalf("same commit: %v %+v", err, ch)
	}
}

func TestCodeChangesFetchTheMissingCommit(t *testing.T) {
	e, st := codeEnv(t)
	r := resubmitAtCommits(e, st, st.Commit2, st.Commit3)
	_, ch, err := e.Svc.RequestFileCause(e.Ctx, e.C2, r.ID, "output/report.csv")
	if err != nil || ch == nil || ch.Problem != "" {
		t.Fatalf("%v %+v", err, ch)
	}
	for _, f := range ch.Files {
		if f.Path == "analysis/report.py" && (f.State != "changed" || f.Text.Added != 1) {
			t.Fatalf("report.py %+v", f)
		}
		if f.Path == "project.yaml" && f.State != "unchanged" {
			t.Fatalf("project.yaml %+v", f)
		}
	}
	if st.Uploads.Load() != 1 {
		t.Fatalf("%d fetches", st.Uploads.Load())
	}
}
