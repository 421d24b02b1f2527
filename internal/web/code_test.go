package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/gitrepo"
	"github.com/airlock-go/airlock/internal/gitrepo/gitrepotest"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// codeHarness is a harness whose service reads the study's repositories,
// with output/report.csv written by action make_report at Commit1.
func codeHarness(t *testing.T) (*harness, *gitrepotest.Study) {
	st := gitrepotest.New(t, "study")
	h := newHarness(t, withService(func(e *testkit.Env) *service.Service {
		return service.New(service.Config{
			Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now,
			Code: gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL, Backoff: time.Millisecond, Retries: 1}),
		})
	}))
	h.Files.Write(testkit.Workspace, "output/report.csv", "a,b\n1,2\n")
	h.Files.SetOrigin(testkit.Workspace, "output/report.csv", st.RepoURL, st.Commit1, "make_report")
	return h, st
}

func mustContain(t *testing.T, what string, a answer, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(a.body, w) {
			t.Errorf("%s: no %q in the page (status %d)", what, w, a.StatusCode)
		}
	}
}

func TestCodeBrowserPages(t *testing.T) {
	h, st := codeHarness(t)
	c := h.client(h.server())
	c.login("author")
	c1 := st.Commit1
	base := "/code/view/ws/" + c1 + "/"

	a := c.get(base)
	if a.StatusCode != http.StatusOK {
		t.Fatalf("root: %d\n%s", a.StatusCode, a.body)
	}
	mustContain(t, "root", a, "<title>study@"+c1[:7], "study@"+c1[:7]+"</h1>", `href="/code/view/ws/`+c1+`/analysis/"`, "project.yaml", `hx-get="/code/tree/ws/`+c1+`/analysis/"`)

	if a := c.get(base + "analysis"); a.StatusCode != http.StatusFound || a.Header.Get("Location") != base+"analysis/" {
		t.Fatalf("folder without /: %d %s", a.StatusCode, a.Header.Get("Location"))
	}
	a = c.get(base + "analysis/report.py")
	mustContain(t, "file", a, `src="/code/contents/ws/`+c1+`/analysis/report.py"`, `sandbox="allow-same-origin allow-forms"`, "report.py")
	a = c.get("/code/contents/ws/" + c1 + "/analysis/report.py")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, "pd.read_csv(&#39;output/dataset.csv.gz&#39;)") || a.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("contents: %d %q\n%s", a.StatusCode, a.Header.Get("Content-Security-Policy"), a.body)
	}
	a = c.get("/code/tree/ws/" + c1 + "/analysis/")
	mustContain(t, "lazy folder", a, "dataset_definition.py", "report.py")

	// project.yaml at the action: its lines, and its scripts linked.
	a = c.get(base + "project.yaml?action=make_report")
	mustContain(t, "action", a, "Action <span class=\"mono\">make_report</span>", "project.yaml lines 10–15",
		"run: python:latest analysis/report.py --input output/dataset.csv.gz", `href="/code/view/ws/`+c1+`/analysis/report.py"`)
	a = c.get(base + "project.yaml?action=nope")
	mustContain(t, "unknown action", a, "has no action nope")
}

func TestCodeBrowserReturnURL(t *testing.T) {
	h, st := codeHarness(t)
	c := h.client(h.server())
	c.login("author")
	base := "/code/view/ws/" + st.Commit1 + "/"
	back := "/workspaces/view/ws/output/report.csv"
	a := c.get(base + "?return_url=" + url.QueryEscape(back))
	mustContain(t, "back", a, `href="/workspaces/view/ws/output/report.csv">← Back to the file`,
		`href="/code/view/ws/`+st.Commit1+`/analysis/?return_url=%2Fworkspaces%2Fview%2Fws%2Foutput%2Freport.csv"`)
	for _, bad := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/login/", "/workspaces/\r\nx"} {
		a := c.get(base + "?return_url=" + url.QueryEscape(bad))
		if a.StatusCode != http.StatusOK || strings.Contains(a.body, "Back to the file") {
			t.Errorf("return_url %q: %d, back link shown", bad, a.StatusCode)
		}
	}
}

func TestCodeBrowserRefusals(t *testing.T) {
	h, st := codeHarness(t)
	srv := h.server()
	c := h.client(srv)
	c.login("author")
	c1 := st.Commit1
	for _, tc := range []struct {
		path   string
		status int
		says   string
	}{
		{"/code/view/ws/HEAD/", 400, "is not a commit"},
		{"/code/view/ws/" + strings.ToUpper(c1) + "/", 400, "is not a commit"},
		{"/code/view/ws/" + c1 + "/%2e%2e/x", 400, "not a valid workspace path"},
		{"/code/view/ws/" + c1 + "/analysis%5creport.py", 400, "not a valid workspace path"},
		{"/code/contents/ws/" + c1 + "/analysis", 400, "is a folder"},
		{"/code/view/ws/" + c1 + "/no/such.py", 404, "has no file or folder"},
		{"/code/view/other/" + c1 + "/", 403, "do not have access"},
		{"/code/tree/ws/" + c1 + "/project.yaml/", 400, "not a folder"},
		{"/code/view/ws/" + strings.Repeat("ab", 20) + "/", 404, "does not have it"},
	} {
		a := c.get(tc.path)
		if a.StatusCode != tc.status || !strings.Contains(a.body, tc.says) {
			t.Errorf("%s: %d, want %d saying %q\n%.400s", tc.path, a.StatusCode, tc.status, tc.says, a.body)
		}
	}
	// A symbolic link in the repository (fetched from the remote) is shown
	// as one, never followed.
	c3 := st.Commit3
	a := c.get("/code/view/ws/" + c3 + "/passwd-link")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, "is a symbolic link. Links are not followed") || strings.Contains(a.body, "/code/contents/") || strings.Contains(a.body, "root:") {
		t.Errorf("link page: %d\n%.600s", a.StatusCode, a.body)
	}
	if a := c.get("/code/contents/ws/" + c3 + "/passwd-link"); a.StatusCode != http.StatusBadRequest || !strings.Contains(a.body, "links are not followed") {
		t.Errorf("link contents: %d %.300s", a.StatusCode, a.body)
	}
	// The remote down: a clear message, not a 500.
	st.FailNext.Store(100)
	gitrepotest.Write(t, st.Work, map[string]string{"late.txt": "x"})
	late := gitrepotest.Commit(t, st.Work, "late")
	a = c.get("/code/view/ws/" + late + "/")
	if a.StatusCode != http.StatusServiceUnavailable || !strings.Contains(a.body, "could not be fetched: the code server could not be reached") {
		t.Fatalf("remote down: %d\n%.600s", a.StatusCode, a.body)
	}
	// Someone who may not see the workspace sees none of its code.
	o := h.client(srv)
	o.login("outsider")
	for _, p := range []string{"/code/view/ws/" + c1 + "/", "/code/contents/ws/" + c1 + "/project.yaml", "/code/cause/ws/output/report.csv"} {
		if a := o.get(p); a.StatusCode != http.StatusForbidden || strings.Contains(a.body, "make_report") {
			t.Errorf("outsider %s: %d", p, a.StatusCode)
		}
	}
}

func TestWorkspaceFileLinksToItsCode(t *testing.T) {
	h, st := codeHarness(t)
	c := h.client(h.server())
	c.login("author")
	a := c.get("/workspaces/view/ws/output/report.csv")
	mustContain(t, "file page", a,
		`href="/code/view/ws/`+st.Commit1+`/project.yaml?action=make_report&amp;return_url=%2Fworkspaces%2Fview%2Fws%2Foutput%2Freport.csv">View source code`,
		`hx-get="/code/cause/ws/output/report.csv"`)
	a = c.get("/code/cause/ws/output/report.csv")
	mustContain(t, "cause", a, "Produced by action", ">make_report</a>", `href="/code/view/ws/`+st.Commit1+`/analysis/report.py?return_url=`,
		"run: <code>python:latest analysis/report.py --input output/dataset.csv.gz</code>")
	// A manifest whose commit is not one: no links, and the panel says why.
	h.Files.SetOrigin(testkit.Workspace, "output/report.csv", st.RepoURL, "abcdef1", "make_report")
	a = c.get("/workspaces/view/ws/output/report.csv")
	if strings.Contains(a.body, "View source code") || strings.Contains(a.body, "/code/cause/") {
		t.Fatal("code links for a commit that is not one")
	}
	if a := c.get("/code/cause/ws/output/report.csv"); a.StatusCode != http.StatusOK || !strings.Contains(a.body, "is not a commit") {
		t.Fatalf("bad commit cause: %d %s", a.StatusCode, a.body)
	}
}

func TestRequestFileShowsCodeChangedSinceReviewed(t *testing.T) {
	h, st := codeHarness(t)
	e := h.Env
	p := "output/report.csv"
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{{Path: p, FileType: domain.FileOutput}}))
	_, _, err := e.Svc.EditGroup(e.Ctx, e.Author, r.ID, "g", "Counts", "Rounded")
	e.OK(err)
	e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	e.Review(r.ID, e.C1, domain.VoteChangesRequested)
	e.Review(r.ID, e.C2, domain.VoteChangesRequested)
	e.R(e.Svc.Return(e.Ctx, e.C1, r.ID))
	h.Files.Write(testkit.Workspace, p, "a,b\n0,0\n")
	h.Files.SetOrigin(testkit.Workspace, p, st.RepoURL, st.Commit2, "make_report")
	e.R(e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{p}))
	_, err = e.Svc.CreateComment(e.Ctx, e.Author, r.ID, "g", "Rounded.", domain.VisibilityPublic)
	e.OK(err)
	e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))

	c := h.client(h.server())
	c.login("c1")
	page := reqFileURL(r.ID, "g", p)
	a := c.get(page)
	cause := "/code/request-cause/" + r.ID + "/output/report.csv?return_url=" + url.QueryEscape(page)
	mustContain(t, "request file page", a, "View source code", `hx-get="`+strings.ReplaceAll(cause, "&", "&amp;")+`"`)
	a = c.get(cause)
	mustContain(t, "changes", a, "The code changed since you reviewed this file.", ">"+st.Commit1[:7]+"</a>", ">"+st.Commit2[:7]+"</a>",
		"project.yaml", "analysis/report.py", "df = df.round(-1)", "--round 10")
}
