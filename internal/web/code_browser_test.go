package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestBrowserCodeBrowser follows an output checker from a workspace file
// to the action that produced it, its script and the repository's tree,
// and back; then a request file whose code changed since their vote, at
// 1280×800 and at a phone's width.
func TestBrowserCodeBrowser(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int64
	}{{"1280x800", 1280, 800}, {"390x844", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			h, st := codeHarness(t)
			r := codeRequestUpdated(h, st.RepoURL, st.Commit2)
			b := newBrowser(t, h)
			b.viewport(size.w, size.h)
			b.login("c1")
			c1 := st.Commit2 // the workspace file's commit, after the update

			b.open("/workspaces/view/ws/output/report.csv")
			b.waitVisible(".code-cause-line")
			if got := b.text(".code-cause-line"); !strings.Contains(got, "Produced by action make_report at commit "+c1[:7]) || !strings.Contains(got, "analysis/report.py") {
				t.Errorf("cause line: %q", got)
			}
			b.screenshotViewport("code-workspace-file-" + size.name)

			// More → View source code: project.yaml at the action.
			b.click(".browser-content-header details.menu > summary")
			b.screenshotViewport("code-more-menu-" + size.name)
			// The open menu is wholly on the screen, at every width.
			if left := eval[float64](b, `document.querySelector('.browser-content-header details.menu .menu-items').getBoundingClientRect().left`); left < 0 {
				t.Errorf("the More menu starts %.0f px off the left of the screen", -left)
			}
			if right := eval[float64](b, `document.querySelector('.browser-content-header details.menu .menu-items').getBoundingClientRect().right - window.innerWidth`); right > 0 {
				t.Errorf("the More menu ends %.0f px off the right of the screen", right)
			}
			b.clickToLoad(`.browser-content-header .menu-item[href^="/code/view/"]`)
			b.waitVisible(".code-action")
			if loc := b.location(); !strings.HasPrefix(loc, "/code/view/ws/"+c1+"/project.yaml?action=make_report") {
				t.Errorf("View source code went to %s", loc)
			}
			if got := b.text(".code-title"); got != "study@"+c1[:7] {
				t.Errorf("title %q", got)
			}
			if got := b.text(".code-lines"); !strings.Contains(got, "make_report:") || !strings.Contains(got, "run: python:latest analysis/report.py") || strings.Contains(got, "dataset_definition.py") {
				t.Errorf("action lines: %q", got)
			}
			b.screenshot("code-project-action-" + size.name)

			// The script, in the sandboxed frame.
			b.clickToLoad(".code-action a.code-script")
			if loc := b.location(); !strings.HasPrefix(loc, "/code/view/ws/"+c1+"/analysis/report.py") {
				t.Errorf("script link went to %s", loc)
			}
			b.waitFor("the script in the frame", `(() => { const f = document.querySelector("iframe.content-frame"); return !!f && !!f.contentDocument && f.contentDocument.body.textContent.includes("read_csv"); })()`)
			b.screenshot("code-script-" + size.name)

			// The tree: a folder opened loads its entries.
			b.open("/code/view/ws/" + c1 + "/?return_url=" + url.QueryEscape("/workspaces/view/ws/output/report.csv"))
			if n := eval[int](b, `document.querySelectorAll(".browser-tree a[href^='/code/view/ws/`+c1+`/docs/notes.txt']").length`); n != 0 {
				t.Errorf("docs/ loaded before it was opened")
			}
			b.click(`.browser-tree details[hx-get^="/code/tree/ws/` + c1 + `/docs/"] > summary`)
			b.waitVisible(`.browser-tree a[href^="/code/view/ws/` + c1 + `/docs/notes.txt"]`)
			b.screenshot("code-tree-" + size.name)
			b.clickToLoad("a.code-back")
			if loc := b.location(); loc != "/workspaces/view/ws/output/report.csv" {
				t.Errorf("Back to the file went to %s", loc)
			}

			// The request file: the code changed since c1 voted.
			b.open(reqFileURL(r.ID, "g", "output/report.csv"))
			b.waitVisible(".code-changed")
			if got := b.text(".code-cause"); !strings.Contains(got, "The code changed since you reviewed this file.") || !strings.Contains(got, "df = df.round(-1)") {
				t.Errorf("changes: %q", got)
			}
			b.screenshotOf("code-changed-"+size.name, ".code-cause")
			b.screenshot("code-request-file-" + size.name)
		})
	}
}

// codeRequestUpdated makes a submitted request whose output
// output/report.csv both checkers voted on at its first commit (as
// codeHarness writes it), then updated to a version produced at commit
// to.
func codeRequestUpdated(h *harness, repo, to string) *domain.Request {
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
	h.Files.SetOrigin(testkit.Workspace, p, repo, to, "make_report")
	e.R(e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{p}))
	_, err = e.Svc.CreateComment(e.Ctx, e.Author, r.ID, "g", "Rounded.", domain.VisibilityPublic)
	e.OK(err)
	return e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
}
