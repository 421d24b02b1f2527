package web

import (
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/chromedp/chromedp"
)

// researcher has roles on workspaces of three projects, one of them over
// and one workspace archived.
func researcher() domain.User {
	u := testkit.NewUser("researcher", testkit.Researcher, testkit.Workspace)
	u.Fullname = "Rosalind Researcher"
	add := func(ws, project string, ongoing, archived bool, orgs ...string) {
		u.Workspaces[ws] = domain.WorkspaceInfo{
			ProjectDetails: domain.ProjectDetails{Name: project, Ongoing: ongoing, Orgs: orgs}, Archived: archived,
		}
	}
	add("diabetes-outcomes", "Diabetes study", true, false, "University of Oxford", "LSHTM")
	add("diabetes-2024", "Diabetes study", true, true, "University of Oxford")
	add("covid-vaccines", "Vaccine effectiveness", true, false, "Bennett Institute")
	add("legacy-cohort", "Old cohort", false, false, "Bennett Institute")
	add("diabetes-broken", "Diabetes study", true, false, "University of Oxford")
	add("elsewhere-only", "Another backend's study", true, false, "Bennett Institute")
	return u
}

// researcherWorkspaces puts researcher()'s workspaces on h's backend, as
// jobs would: each with an output, but diabetes-broken, whose manifest is
// not JSON, and elsewhere-only, which this backend does not have.
func researcherWorkspaces(h *harness) {
	for _, ws := range []string{"diabetes-outcomes", "diabetes-2024", "covid-vaccines", "legacy-cohort", testkit.Workspace} {
		h.Files.Write(ws, "output/summary.csv", "n\n5\n")
	}
	h.Files.BreakManifest("diabetes-broken", "metadata/manifest.json is not valid JSON: unexpected end of JSON input")
}

// addRequest gives u a PENDING request in workspace with one output file.
func addRequest(h *harness, u domain.User, workspace, path string) *domain.Request {
	h.T.Helper()
	h.Files.Write(workspace, path, "region,count\nNorth,15\nSouth,20\n")
	r, err := h.Svc.AddFiles(h.Ctx, u, workspace, "tables", []service.AddFile{{Path: path, FileType: domain.FileOutput}})
	return h.R(r, err)
}

// releaseRequest takes author's PENDING request through two reviews to
// RELEASED.
func releaseRequest(h *harness, author domain.User, r *domain.Request) *domain.Request {
	h.T.Helper()
	for _, g := range r.Groups {
		_, _, err := h.Svc.EditGroup(h.Ctx, author, r.ID, g.Name, "Counts by region", "Rounded to 5")
		h.OK(err)
	}
	h.R(h.Svc.Submit(h.Ctx, author, r.ID))
	h.Review(r.ID, h.C1, domain.VoteApproved)
	h.Review(r.ID, h.C2, domain.VoteApproved)
	r = h.R(h.Svc.Release(h.Ctx, h.C1, r.ID))
	for _, f := range r.OutputFiles() {
		h.OK(h.Svc.RecordUpload(h.Ctx, r.ID, f.Relpath))
	}
	return h.R(h.Svc.MarkReleased(h.Ctx, r.ID))
}

func TestBrowserWorkspacesIndex(t *testing.T) {
	r := researcher()
	h := newHarness(t, withUsers(r))
	researcherWorkspaces(h)
	withdrawn := h.RequestIn(r, domain.StatusWithdrawn)
	rejected := h.RequestIn(r, domain.StatusRejected)
	returned := h.RequestIn(r, domain.StatusReturned)
	diabetes := addRequest(h, r, "diabetes-outcomes", "output/tables/counts_by_region.csv")
	releaseRequest(h, r, addRequest(h, r, "covid-vaccines", "output/uptake.csv"))

	b := newBrowser(t, h)
	b.login("researcher")
	b.screenshot("workspaces-researcher")

	projects := eval[[]string](b, `Array.from(document.querySelectorAll(".project h2")).map(e => e.textContent.trim())`)
	want := []string{"Diabetes study", "Project ws", "Vaccine effectiveness", "Old cohort INACTIVE"}
	if !slices.Equal(projects, want) {
		t.Errorf("projects %q, want %q", projects, want)
	}
	workspaces := eval[[]string](b, `Array.from(document.querySelectorAll(".project")[0].querySelectorAll(".workspace-card h3")).map(e => e.textContent.trim())`)
	if want := []string{"diabetes-broken UNAVAILABLE", "diabetes-outcomes", "diabetes-2024 ARCHIVED"}; !slices.Equal(workspaces, want) {
		t.Errorf("workspaces of the diabetes study %q, want %q", workspaces, want)
	}
	// A workspace this backend does not have is not listed; one whose
	// manifest is broken is, greyed, without a link, with the reason.
	if got := b.text("main"); strings.Contains(got, "elsewhere-only") || strings.Contains(got, "Another backend") {
		t.Errorf("a workspace this backend does not have is listed")
	}
	broken := ".workspace-card.is-unavailable"
	if got := b.text(broken + " .workspace-unavailable"); !strings.Contains(got, "not valid JSON") {
		t.Errorf("the unavailable workspace's reason: %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll(".workspace-card.is-unavailable h3 a").length`); n != 0 {
		t.Errorf("the unavailable workspace links to its browser")
	}
	if bg := eval[string](b, `getComputedStyle(document.querySelector(".workspace-card.is-unavailable")).backgroundColor`); bg == eval[string](b, `getComputedStyle(document.querySelector(".workspace-card:not(.is-unavailable)")).backgroundColor`) {
		t.Errorf("the unavailable workspace is not greyed: background %s like the others", bg)
	}
	b.screenshotOf("workspaces-unavailable-1280", ".project")
	b.do("set a phone's viewport", chromedp.EmulateViewport(390, 844))
	b.screenshotOf("workspaces-unavailable-390", ".project")
	if overflow := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth`); overflow {
		t.Errorf("the workspaces index is wider than a phone's screen: %s", eval[string](b, `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth+1).slice(0, 12).map(e => e.tagName+"."+e.className+":"+Math.round(e.getBoundingClientRect().width)+"/"+e.scrollWidth).join(" ")`))
	}
	b.do("set the viewport back", chromedp.EmulateViewport(1280, 900))
	// The requests of ws, newest first, linking to their pages.
	links := eval[[]string](b, `Array.from(document.querySelectorAll(".project")[1].querySelectorAll("tbody a")).map(a => a.getAttribute("href"))`)
	wantLinks := []string{"/requests/view/" + returned.ID + "/", "/requests/view/" + rejected.ID + "/", "/requests/view/" + withdrawn.ID + "/"}
	if !slices.Equal(links, wantLinks) {
		t.Errorf("request links of ws %q, want %q", links, wantLinks)
	}
	if got := b.text(".project:nth-of-type(2) .current-request"); !strings.Contains(got, "Returned") {
		t.Errorf("current request of ws: %q", got)
	}
	if got := eval[string](b, `document.querySelector(".project .current-request").getAttribute("href")`); got != "/requests/view/"+diabetes.ID+"/" {
		t.Errorf("current request link of diabetes-outcomes: %q", got)
	}
	if got := b.text(".project:nth-of-type(1)"); !strings.Contains(got, "LSHTM, University of Oxford") {
		t.Errorf("organisations not shown: %q", got)
	}
	if got := eval[string](b, `document.querySelector(".workspace-card h3 a").getAttribute("href")`); got != "/workspaces/view/diabetes-outcomes/" {
		t.Errorf("workspace link %q", got)
	}
}

func TestBrowserWorkspacesIndexOtherUsers(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	b.login("c1")
	b.open("/workspaces/")
	if got := b.text(".empty"); !strings.Contains(got, "No workspaces of your own") || strings.Contains(got, "You have no workspaces") || !strings.Contains(got, "Reviews") {
		t.Errorf("output checker without roles: %q", got)
	}
	b.screenshot("workspaces-output-checker")

	b.logout()
	b.login("support")
	if got := b.text(".site-nav"); !strings.Contains(got, "All Workspaces") {
		t.Errorf("read-only user's navigation: %q", got)
	}
	b.open("/workspaces/")
	if got := b.text(".empty"); !strings.Contains(got, "All Workspaces") {
		t.Errorf("read-only user's page: %q", got)
	}

	b.logout()
	b.login("copilot")
	if got := b.text(".site-nav"); !strings.Contains(got, "Copiloted Workspaces") {
		t.Errorf("copilot's navigation: %q", got)
	}
}

func TestBrowserScriptInNamesNeverRuns(t *testing.T) {
	const (
		wsName  = `<script>window.__pwned=1</script>`
		project = `<img src=x onerror="window.__pwned=2;alert('project')">`
		org     = `<svg onload="alert('org')">`
	)
	m := testkit.NewUser("mallory", testkit.Researcher)
	m.Fullname = `<script>alert("fullname")</script>`
	m.Workspaces[wsName] = domain.WorkspaceInfo{ProjectDetails: domain.ProjectDetails{Name: project, Ongoing: true, Orgs: []string{org}}}
	h := newHarness(t, withUsers(m))
	addRequest(h, m, wsName, `out/"><script>alert('path')</script>.csv`)

	b := newBrowser(t, h)
	b.login("mallory")
	b.click(".menu-account summary")
	b.screenshot("script-in-names")
	if got := eval[bool](b, `window.__pwned !== undefined`); got {
		t.Errorf("a script from a name ran")
	}
	if d := b.seenDialogs(); len(d) != 0 {
		t.Errorf("dialogs opened: %q", d)
	}
	if n := eval[int](b, `document.querySelectorAll("script:not([src]), img[onerror], svg[onload]").length`); n != 0 {
		t.Errorf("%d elements made from names", n)
	}
	page := b.text("body")
	for _, s := range []string{wsName, project, org, m.Fullname} {
		if !strings.Contains(page, s) {
			t.Errorf("the page does not show %q as text", s)
		}
	}
	// The link escapes the name as one path segment.
	if got := eval[string](b, `document.querySelector(".workspace-card h3 a").getAttribute("href")`); got != "/workspaces/view/%3Cscript%3Ewindow.__pwned=1%3C%2Fscript%3E/" {
		t.Errorf("workspace link %q", got)
	}
}
