package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/airlock-go/airlock/internal/domain"
)

// waitVisible waits until sel is shown.
func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

func TestBrowserWorkspaceBrowse(t *testing.T) {
	h := newHarness(t)
	wsFiles(h)
	b := newBrowser(t, h)
	b.login("author")

	b.open("/workspaces/view/ws/")
	b.screenshot("workspace-root")
	// Only the root level is in the tree; opening a folder loads it.
	if n := eval[int](b, `document.querySelectorAll(".browser-tree a[href='/workspaces/view/ws/output/summary.csv']").length`); n != 0 {
		t.Errorf("output/ loaded before it was opened")
	}
	b.click(`.browser-tree details[hx-get="/workspaces/tree/ws/output/"] > summary`)
	b.waitVisible(`.browser-tree a[href="/workspaces/view/ws/output/summary.csv"]`)
	b.click(`.browser-tree details[hx-get="/workspaces/tree/ws/output/tables/"] > summary`)
	b.waitVisible(`.browser-tree a[href="/workspaces/view/ws/output/tables/by_age.csv"]`)
	b.screenshot("workspace-tree-opened")

	// The folder page, with the hostile name as text.
	b.open("/workspaces/view/ws/output/")
	b.screenshot("workspace-folder")
	if n := eval[int](b, `document.querySelectorAll("main img").length`); n != 0 {
		t.Errorf("a file name became an <img>")
	}
	if got := eval[bool](b, `Array.from(document.querySelectorAll(".workspace-files a")).some(a => a.textContent === "<img src=x onerror=alert(1)>.csv")`); !got {
		t.Error("the hostile file name is not shown as text")
	}

	// A CSV in the frame.
	b.clickToLoad(`.workspace-files a[href="/workspaces/view/ws/output/summary.csv"]`)
	run(b, "wait for the frame", chromedp.Poll[bool](`(() => { const f = document.querySelector("iframe.content-frame"); return !!(f && f.contentDocument && f.contentDocument.body && f.contentDocument.body.textContent.includes("North")); })()`))
	if s := eval[string](b, `document.querySelector("iframe.content-frame").getAttribute("sandbox")`); strings.Contains(s, "allow-scripts") {
		t.Errorf("sandbox %q allows scripts", s)
	}
	b.screenshot("workspace-file-csv")

	// Add two files through the folder's multi-select dialog, one as supporting.
	b.open("/workspaces/view/ws/output/")
	b.click(`input[name="selected"][value="output/summary.csv"]`)
	b.click(`input[name="selected"][value="output/notes.txt"]`)
	b.click(`input[name="selected"][value="output/model.rds"]`)
	b.click(`button[name="action"][value="add_files"]`)
	b.waitVisible(`#workspace-add-dialog`)
	b.do("new group", chromedp.SendKeys(chromedp.CSS("#add-new-group"), "tables"))
	b.click(`#workspace-add-dialog tr:has(input[value="output/notes.txt"]) input[value="SUPPORTING"]`)
	b.screenshotViewport("workspace-add-dialog")
	if !strings.Contains(b.text("#workspace-add-dialog .workspace-ignored"), "model.rds") {
		t.Error("model.rds is not listed as ignored")
	}
	b.clickToLoad(`#workspace-add-dialog button[type="submit"]`)
	if !strings.Contains(b.text(".flash-list"), "2 files added") {
		t.Errorf("flash: %q", b.text(".flash-list"))
	}
	b.screenshot("workspace-folder-after-add")
	r, err := h.Svc.CurrentRequest(h.Ctx, h.Author, "ws")
	if err != nil || r == nil {
		t.Fatalf("current request: %v", err)
	}
	if f, ok := r.File("output/notes.txt"); !ok || f.FileType != domain.FileSupporting || f.Group != "tables" {
		t.Errorf("notes.txt: %+v", f)
	}
	if f, ok := r.File("output/summary.csv"); !ok || f.FileType != domain.FileOutput {
		t.Errorf("summary.csv: %+v", f)
	}

	// Already on the request: disabled with the reason.
	b.open("/workspaces/view/ws/output/summary.csv")
	if s := b.text(".disabled-reason"); !strings.Contains(s, "already on this request") {
		t.Errorf("reason %q", s)
	}
	b.screenshot("workspace-file-on-request")

	// Changed: update it from the file page.
	h.Files.Write("ws", "output/summary.csv", "region,count\nNorth,25\nSouth,20\n")
	b.open("/workspaces/view/ws/output/summary.csv")
	b.click("#workspace-file-action")
	b.waitVisible("#workspace-add-dialog")
	b.screenshotViewport("workspace-update-dialog")
	b.clickToLoad(`#workspace-add-dialog button[type="submit"]`)
	if !strings.Contains(b.text(".flash-list"), "updated") {
		t.Errorf("flash after update: %q", b.text(".flash-list"))
	}
	r, _ = h.Svc.CurrentRequest(h.Ctx, h.Author, "ws")
	wf, _ := h.Files.File(h.Ctx, "ws", "output/summary.csv")
	if f, _ := r.File("output/summary.csv"); f == nil || f.FileID != wf.ContentHash {
		t.Errorf("not updated: %+v", f)
	}

	// The out-of-date toggle.
	b.open("/workspaces/view/ws/")
	b.clickToLoad("#toggle-ood")
	if s := b.text(".tree-ood p"); !strings.Contains(s, "shown") {
		t.Errorf("after toggle: %q", s)
	}
}

func TestBrowserWorkspaceCopilotAndAll(t *testing.T) {
	h := newHarness(t)
	wsFiles(h)
	h.Files.Write("other-ws", "output/x.csv", "a\n1\n")
	b := newBrowser(t, h)
	b.login("copilot")
	b.open("/copiloted-workspaces/")
	b.screenshot("workspace-copiloted")
	b.open("/workspaces/view/ws/output/summary.csv")
	if s := b.text(".disabled-reason"); !strings.Contains(s, "do not have a role") {
		t.Errorf("copilot reason %q", s)
	}
	b.screenshot("workspace-file-copilot")
	if resp := b.open("/workspaces/all/"); resp.Status != 403 {
		t.Errorf("all workspaces for a copilot: %d", resp.Status)
	}

	b2 := newBrowser(t, h)
	b2.login("support")
	b2.open("/workspaces/all/")
	b2.typeInto("#workspace-q", "OTH")
	run(b2, "wait for the filter", chromedp.Poll[bool](`document.querySelectorAll("#workspace-all-results li").length === 1`))
	if s := b2.text("#workspace-all-results"); !strings.Contains(s, "other-ws") {
		t.Errorf("filtered: %q", s)
	}
	b2.screenshot("workspace-all-filtered")
}
