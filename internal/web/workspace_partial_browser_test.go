package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserWorkspacePartialNavigation: tree links load only the content
// pane (the page, its opened folders and its scripts stay), push the URL
// and move the tree's selection; once a job has changed the workspace's
// outputs, the next link loads the whole page instead.
func TestBrowserWorkspacePartialNavigation(t *testing.T) {
	h := newHarness(t)
	wsFiles(h)
	b := newBrowser(t, h)
	b.login("author")
	b.open("/workspaces/view/ws/")
	b.click(`.browser-tree details[hx-get="/workspaces/tree/ws/output/"] > summary`)
	b.waitVisible(`.browser-tree a[href="/workspaces/view/ws/output/summary.csv"]`)
	// A mark on the page that survives only if the page is not reloaded.
	eval[bool](b, `(window.__samePage = true)`)

	b.click(`.browser-tree a[href="/workspaces/view/ws/output/summary.csv"]`)
	run(b, "wait for the file pane", chromedp.Poll[bool](`(() => { const h = document.querySelector("#browser-content .workspace-file-name"); return !!h && h.textContent === "summary.csv"; })()`))
	if !eval[bool](b, `window.__samePage === true`) {
		t.Errorf("the tree link reloaded the whole page")
	}
	if loc := b.location(); loc != "/workspaces/view/ws/output/summary.csv" {
		t.Errorf("URL after the tree link: %s", loc)
	}
	if got := eval[string](b, `document.title`); !strings.HasPrefix(got, "output/summary.csv") {
		t.Errorf("title after the tree link: %q", got)
	}
	if got := eval[string](b, `(document.querySelector('.browser-tree .selected') || {}).textContent || ""`); !strings.Contains(got, "summary.csv") {
		t.Errorf("the tree's selection is %q, want summary.csv", got)
	}
	if !eval[bool](b, `!!document.querySelector('.browser-tree a[href="/workspaces/view/ws/output/notes.txt"]')`) {
		t.Errorf("the opened folder closed")
	}
	if n := eval[int](b, `document.querySelectorAll("#browser-content").length`); n != 1 {
		t.Errorf("%d content panes after the tree link", n)
	}
	if n := eval[int](b, `document.querySelectorAll(".browser-tree #browser-content, .browser-tree .workspace-file-name").length`); n != 0 {
		t.Errorf("the content pane was put into the tree")
	}
	if eval[bool](b, `document.getElementById("workspace-add-dialog").open`) {
		t.Errorf("the add dialog opened by itself")
	}
	b.screenshot("workspace-partial-navigation")
	if n := eval[int](b, `document.querySelectorAll(".browser-tree").length`); n != 1 {
		t.Errorf("%d trees on the page after the tree link", n)
	}

	// A job writes new outputs: the manifest changes.
	h.Files.Write("ws", "output/new.csv", "a\n1\n")
	b.clickToLoad(`.browser-tree a[href="/workspaces/view/ws/output/notes.txt"]`)
	if eval[bool](b, `window.__samePage === true`) {
		t.Errorf("the tree link after the manifest changed did not reload the page")
	}
	if loc := b.location(); loc != "/workspaces/view/ws/output/notes.txt" {
		t.Errorf("after the manifest changed: at %s", loc)
	}
	if !eval[bool](b, `!!document.querySelector('.browser-tree a[href="/workspaces/view/ws/output/new.csv"]')`) {
		t.Errorf("the reloaded tree does not show the new output")
	}
}

// TestWorkspacePaneFragment: the content pane alone for htmx, and a full
// reload (HX-Redirect) when the page's manifest hash is not current.
func TestWorkspacePaneFragment(t *testing.T) {
	h := newHarness(t)
	wsFiles(h)
	srv := h.server()
	c := h.client(srv)
	c.login("author")
	page := c.get("/workspaces/view/ws/output/")
	if !strings.Contains(page.body, `hx-headers='{&#34;Manifest-Hash&#34;: &#34;`) && !strings.Contains(page.body, `hx-headers='{"Manifest-Hash": "`) {
		t.Fatalf("the page does not carry its manifest hash for htmx")
	}
	info, err := h.Files.TreeInfo(h.Ctx, "ws")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.body, info.ManifestHash) {
		t.Fatalf("the page's manifest hash is not the workspace's")
	}
	pane := func(hash string) answer {
		return c.get("/workspaces/view/ws/output/summary.csv", "HX-Request", "true", "HX-Boosted", "true", "Manifest-Hash", hash)
	}
	a := pane(info.ManifestHash)
	if a.StatusCode != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(a.body), "<title>") || strings.Contains(a.body, "<html") ||
		!strings.Contains(a.body, `id="browser-content"`) || strings.Contains(a.body, `class="tree"`) {
		t.Errorf("pane: %d\n%.400s", a.StatusCode, a.body)
	}
	a = pane("stale")
	if a.Header.Get("HX-Redirect") != "/workspaces/view/ws/output/summary.csv" || strings.Contains(a.body, "browser-content") {
		t.Errorf("stale hash: %d HX-Redirect %q", a.StatusCode, a.Header.Get("HX-Redirect"))
	}
}
