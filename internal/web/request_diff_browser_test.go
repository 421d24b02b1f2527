package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDiffAfterResubmission: a checker asked for changes, the
// author updated a CSV table and a Markdown file and resubmitted; on each
// file page the checker sees "Changed since you voted" with the diff from
// the version they voted on (a CSV's changed cells old → new, added and
// removed rows; a text's added and removed lines), can open both
// versions, and compares other versions with the picker. The author
// sees the versions folded, and no "since you voted".
func TestBrowserDiffAfterResubmission(t *testing.T) {
	h := newHarness(t)
	r := h.Resubmitted(h.Author,
		map[string]string{
			"out/counts.csv": "region,sex,n,rate\nNorth East,F,120,1.2\nNorth East,M,95,0.9\nLondon,F,[REDACTED],-\nLondon,M,310,3.1\nSouth West,F,40,0.4\nWales,F,22,0.2\n",
			"out/report.md":  "# Report\n\nCounts by region and sex.\nSmall numbers are redacted.\n\nMethod: rounded to 5.\n",
		},
		map[string]string{
			"out/counts.csv": "region,sex,n,rate\nNorth East,F,120,1.2\nNorth East,M,95,0.95\nLondon,F,15,0.1\nLondon,M,310,3.1\nSouth West,F,40,0.4\nScotland,F,35,0.3\n",
			"out/report.md":  "# Report\n\nCounts by region and sex.\nCounts of 7 or fewer are redacted; the rest rounded to 5.\n\nMethod: rounded to 5.\nReviewed by the study team.\n",
		})
	base := "/requests/view/" + r.ID + "/g/"

	c1 := newBrowser(t, h)
	c1.login("c1")
	for _, size := range []struct {
		name          string
		width, height int64
	}{{"1280x800", 1280, 800}, {"800", 800, 900}} {
		c1.do("set the viewport", chromedp.EmulateViewport(size.width, size.height))
		c1.open(base + "out/counts.csv")
		waitFor(c1, "wait for the diff", `#req-diff .req-diff-csv`)
		if got := c1.text("#req-diff-title"); got != "Changed since you voted" {
			t.Errorf("the section's title: %q", got)
		}
		summary := c1.text("#req-diff .req-diff-summary")
		if summary != "3 cells changed · 1 row added · 1 row removed" {
			t.Errorf("summary: %q", summary)
		}
		changed := eval[[]string](c1, `[...document.querySelectorAll("#req-diff td.diff-cell-changed")].map(td => td.innerText.replace(/\s+/g, " ").trim())`)
		if strings.Join(changed, " | ") != "0.9 → changed to 0.95 | [REDACTED] → changed to 15 | - → changed to 0.1" &&
			strings.Join(changed, " | ") != "0.9 → 0.95 | [REDACTED] → 15 | - → 0.1" {
			t.Errorf("changed cells: %q", changed)
		}
		if got := c1.text("#req-diff tr.diff-added"); !strings.Contains(got, "Scotland") {
			t.Errorf("added row: %q", got)
		}
		if got := c1.text("#req-diff tr.diff-removed"); !strings.Contains(got, "Wales") {
			t.Errorf("removed row: %q", got)
		}
		if got := c1.text("#req-diff .req-diff-between"); !strings.Contains(got, "You voted on version 1") || !strings.Contains(got, "the current version is version 2") {
			t.Errorf("between: %q", got)
		}
		c1.screenshot("request-file-diff-csv-page-" + size.name)
		eval[bool](c1, `(document.querySelector("#req-diff").scrollIntoView(), true)`)
		c1.screenshotViewport("request-file-diff-csv-" + size.name)
		c1.screenshotOf("request-file-diff-csv-section-"+size.name, "#req-diff")
	}
	c1.do("set the viewport", chromedp.EmulateViewport(1280, 800))

	// Both versions are viewable.
	links := eval[[]string](c1, `[...document.querySelectorAll("#req-diff .req-diff-between a")].map(a => a.getAttribute("href"))`)
	if len(links) != 2 {
		t.Fatalf("version links: %q", links)
	}
	for i, want := range []string{"[REDACTED]", "Scotland"} {
		c1.open(links[i])
		if body := c1.text("body"); !strings.Contains(body, want) {
			t.Errorf("version %d does not show %q: %.200s", i+1, want, body)
		}
	}

	// Text: a line diff, added and removed lines coloured.
	c1.open(base + "out/report.md")
	waitFor(c1, "wait for the diff", `#req-diff .req-diff-lines`)
	added := eval[[]string](c1, `[...document.querySelectorAll("#req-diff tr.diff-added .diff-text")].map(td => td.innerText)`)
	removed := eval[[]string](c1, `[...document.querySelectorAll("#req-diff tr.diff-removed .diff-text")].map(td => td.innerText)`)
	if strings.Join(added, "|") != "Counts of 7 or fewer are redacted; the rest rounded to 5.|Reviewed by the study team." ||
		strings.Join(removed, "|") != "Small numbers are redacted." {
		t.Errorf("added %q, removed %q", added, removed)
	}
	if bg := eval[string](c1, `getComputedStyle(document.querySelector("#req-diff tr.diff-added")).backgroundColor`); bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("added lines are not coloured")
	}
	eval[bool](c1, `(document.querySelector("#req-diff").scrollIntoView(), true)`)
	c1.screenshotViewport("request-file-diff-text-1280x800")
	c1.do("set the viewport", chromedp.EmulateViewport(800, 900))
	eval[bool](c1, `(document.querySelector("#req-diff").scrollIntoView(), true)`)
	c1.screenshotViewport("request-file-diff-text-800")
	c1.do("set the viewport", chromedp.EmulateViewport(1280, 800))

	// The picker compares any two versions, in place.
	eval[bool](c1, `(document.querySelector("#req-diff-from").value = "2", document.querySelector("#req-diff-to").value = "1", true)`)
	c1.click(`#req-diff .req-diff-pick button`)
	waitFor(c1, "wait for the new diff", `#req-diff .req-diff-between`)
	run(c1, "wait for the swap", chromedp.Poll[bool](`(() => { const p = document.querySelector("#req-diff .req-diff-between"); return !!p && p.innerText.includes("From version 2"); })()`))
	if loc := c1.location(); loc != base+"out/report.md" {
		t.Errorf("the picker left the page: %s", loc)
	}

	// The author sees the versions folded, without "since you voted".
	a := newBrowser(t, h)
	a.login("author")
	a.open(base + "out/counts.csv")
	waitFor(a, "wait for the section", `#req-diff summary`)
	if got := a.text("#req-diff-title"); got != "Versions (2)" {
		t.Errorf("the author's section title: %q", got)
	}
	if open := eval[bool](a, `document.querySelector("#req-diff details.req-diff-box").open`); open {
		t.Errorf("the author's versions are unfolded")
	}
	a.click(`#req-diff details.req-diff-box > summary`)
	waitFor(a, "wait for the diff", `#req-diff .req-diff-csv`)
	eval[bool](a, `(document.querySelector("#req-diff").scrollIntoView(), true)`)
	a.screenshotViewport("request-file-diff-author-1280x800")
}

// waitFor waits until an element sel matches is shown.
func waitFor(b *browser, what, sel string) {
	b.t.Helper()
	run(b, what, chromedp.Poll[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0; })()`, sel)))
}
