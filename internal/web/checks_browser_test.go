package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestBrowserDisclosureChecks: the researcher sees the findings on the
// workspace file page before adding, with the cells marked in the table;
// with small_count blocking, the request cannot be submitted until the
// author overrides the checks with a justification, which the output
// checker then reads beside the file.
func TestBrowserDisclosureChecks(t *testing.T) {
	cfg := checks.Default()
	cfg.Rules.SmallCount.Severity = checks.SeverityBlocking
	ck, err := checks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withChecks(ck))
	h.Files.Write(testkit.Workspace, "output/by_region.csv", "region,n\nNorth,3\nSouth,25\nEast,[REDACTED]\nWest,5\n")

	a := newBrowser(t, h)
	a.login("author")
	a.open("/workspaces/view/ws/output/by_region.csv")
	if got := a.text(".checks"); !strings.Contains(got, "Small counts") || !strings.Contains(strings.ToLower(got), "blocking") {
		t.Errorf("workspace file page checks: %q", got)
	}
	run(a, "wait for the marked cell", chromedp.Poll[bool](`(() => { const f = document.querySelector("iframe.content-frame"); return !!(f && f.contentDocument && f.contentDocument.querySelector("td.flag-blocking")); })()`))
	if n := eval[int](a, `document.querySelector("iframe.content-frame").contentDocument.querySelectorAll("td.flag-blocking").length`); n != 2 {
		t.Errorf("%d cells marked in the workspace table, want 2 (North's 3 and West's 5)", n)
	}
	a.screenshot("workspace-file-checks")

	// Add, describe, and try to submit.
	a.click("#workspace-file-action")
	a.waitVisible("#workspace-add-dialog")
	a.clickToLoad(`#workspace-add-dialog button[type=submit]`)
	r := h.Get(h.R(h.Svc.CurrentRequest(h.Ctx, h.Author, testkit.Workspace)).ID)
	if _, _, err := h.Svc.EditGroup(h.Ctx, h.Author, r.ID, "default", "Counts by region", "Rounded"); err != nil {
		t.Fatal(err)
	}
	a.open("/requests/view/" + r.ID + "/")
	if got := a.text(".req-blocked"); !strings.Contains(got, "output/by_region.csv") {
		t.Errorf("overview does not say what blocks submission: %q", got)
	}
	if got := strings.Join(a.buttons(), " | "); !strings.Contains(got, "Submit for review (disabled: ") || !strings.Contains(got, "disclosure checks") {
		t.Errorf("buttons: %s", got)
	}
	a.screenshot("request-overview-blocked")

	a.open("/requests/view/" + r.ID + "/default/output/by_region.csv")
	a.click(`button[data-dialog-open="override-dialog"]`)
	a.typeInto("#override-justification", "These are counts of GP practices, not of patients.")
	a.screenshotViewport("request-file-override-dialog")
	a.clickToLoad(`#override-dialog button[type=submit]`)
	if got := a.text(".checks-override"); !strings.Contains(got, "counts of GP practices") {
		t.Errorf("override not shown: %q", got)
	}
	a.open("/requests/view/" + r.ID + "/")
	if got := strings.Join(a.buttons(), " | "); strings.Contains(got, "Submit for review (disabled") {
		t.Errorf("still blocked after the override: %s", got)
	}
	if _, err := h.Svc.Submit(h.Ctx, h.Author, r.ID); err != nil {
		t.Fatalf("submit after the override: %v", err)
	}

	c := newBrowser(t, h)
	c.login("c1")
	c.open("/requests/view/" + r.ID + "/default/output/by_region.csv")
	if got := c.text(".checks"); !strings.Contains(got, "Small counts") || !strings.Contains(got, "counts of GP practices") || !strings.Contains(got, "Checks overridden by author") {
		t.Errorf("the checker does not see the findings and the justification: %q", got)
	}
	if n := eval[int](c, `document.querySelectorAll('button[data-dialog-open="override-dialog"]').length`); n != 0 {
		t.Errorf("the checker is offered the override")
	}
	c.screenshot("request-file-checks-checker")
	// The request file's frame runs sandboxed without same-origin access:
	// open its content directly to see the marks.
	src := eval[string](c, `document.querySelector("iframe.content-frame").getAttribute("src")`)
	c.open(src)
	if n := eval[int](c, `document.querySelectorAll("td.flag-blocking").length`); n != 2 {
		t.Errorf("%d cells marked in the request copy's table, want 2", n)
	}
}

// TestBrowserCSVSort: the CSV viewer's headings sort the table (on the
// server: the viewer runs no script), keeping the marks on their cells.
func TestBrowserCSVSort(t *testing.T) {
	h := newHarness(t)
	h.Files.Write(testkit.Workspace, "output/by_region.csv", "region,n\nNorth,15\nSouth,3\nEast,1200\nWest,[REDACTED]\n")
	b := newBrowser(t, h)
	b.login("author")
	b.open("/workspaces/content/ws/output/by_region.csv")
	b.clickToLoad(`thead th:nth-child(3) a.sort`)
	order := eval[[]string](b, `Array.from(document.querySelectorAll("tbody th.rownum")).map(x => x.textContent)`)
	if strings.Join(order, ",") != "2,1,3,4" {
		t.Errorf("sorted by n: rows %v, want 2,1,3,4", order)
	}
	if got := eval[string](b, `document.querySelector("thead th:nth-child(3)").getAttribute("aria-sort")`); got != "ascending" {
		t.Errorf("aria-sort %q", got)
	}
	if got := eval[string](b, `document.querySelector("td.flag-warning") ? document.querySelector("td.flag-warning").textContent : ""`); got != "3" {
		t.Errorf("the flagged cell is %q, want South's 3", got)
	}
	b.screenshot("csv-viewer-sorted")
}
