package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// screenshotWidths saves the page at 1280×800 and 800 px wide.
func (b *browser) screenshotWidths(name string) {
	b.t.Helper()
	for _, s := range []struct {
		suffix string
		w, h   int64
	}{{"", 1280, 800}, {"-800", 800, 900}} {
		b.do("set the viewport", chromedp.EmulateViewport(s.w, s.h))
		b.screenshotViewport(name + s.suffix)
	}
	b.do("set the viewport", chromedp.EmulateViewport(1280, 800))
}

// TestBrowserRequestFolders: the author opens a folder of the request
// tree (loaded when opened), then from the folder page withdraws two
// files and moves another to a new group.
func TestBrowserRequestFolders(t *testing.T) {
	h := newHarness(t)
	r := h.Pending(h.Author, "out/summary.csv")
	paths := []string{"out/tables/by_age.csv", "out/tables/by_region.csv", "out/tables/by_sex.csv", "out/tables/extra/notes.txt"}
	for _, p := range paths {
		h.Files.Write(testkit.Workspace, p, "group,count\nA,15\nB,25\n")
	}
	h.R(h.Svc.AddFiles(h.Ctx, h.Author, testkit.Workspace, "g", addFiles(paths...)))

	b := newBrowser(t, h)
	b.login("author")
	b.do("set the viewport", chromedp.EmulateViewport(1280, 800))
	b.open("/requests/view/" + r.ID + "/")
	tree := `.browser-tree`
	if n := eval[int](b, `document.querySelectorAll('.browser-tree a.tree-file').length`); n != 0 {
		t.Errorf("the overview's tree lists %d files before a folder is opened", n)
	}
	// Open the folder "out" in the tree: its contents load.
	b.do("open the folder", chromedp.Evaluate[chromedp.Void](`document.querySelector('.browser-tree li.tree-dir > details').open = true`))
	run(b, "wait for the folder's files", chromedp.Poll[bool](`document.querySelectorAll('.browser-tree a.tree-file[href$="/out/summary.csv"]').length === 1`))
	if got := b.text(tree); !strings.Contains(got, "tables") || !strings.Contains(got, "summary.csv") {
		t.Errorf("tree after opening out/: %q", got)
	}
	b.screenshotWidths("request-tree-overview")

	b.clickToLoad(`.browser-tree a[href$="/g/out/tables/"]`)
	if loc := b.location(); loc != "/requests/view/"+r.ID+"/g/out/tables/" {
		t.Fatalf("at %s", loc)
	}
	if got := eval[[]string](b, `Array.from(document.querySelectorAll('.req-folder-files tbody tr td:nth-child(2)')).map(x => x.textContent.trim())`); strings.Join(got, ",") != "extra/,by_age.csv,by_region.csv,by_sex.csv" {
		t.Errorf("folder rows %q", got)
	}
	if got := eval[[]string](b, `Array.from(document.querySelectorAll('.req-folder-files tbody tr td:nth-child(5)')).map(x => x.textContent.trim())`); len(got) != 4 || got[1] != "22 B" {
		t.Errorf("sizes %q", got)
	}
	b.screenshotWidths("request-folder-author")

	// Withdraw two files: the dialog says what will happen.
	b.click(`input[name="selected"][value="out/tables/by_age.csv"]`)
	b.click(`input[name="selected"][value="out/tables/by_region.csv"]`)
	b.click(`[data-dialog-open="sel-withdraw-dialog"]`)
	b.waitVisible("#sel-withdraw-dialog")
	b.screenshotViewport("request-folder-withdraw-dialog")
	b.post(`#sel-withdraw-dialog button[type="submit"]`)
	if got := b.text(".flash-success"); !strings.Contains(got, "out/tables/by_age.csv, out/tables/by_region.csv") {
		t.Errorf("success message %q", got)
	}
	got := h.Get(r.ID)
	for _, p := range []string{"out/tables/by_age.csv", "out/tables/by_region.csv"} {
		if _, ok := got.File(p); ok {
			t.Errorf("%s still on the request", p)
		}
	}

	// Move one to a new group.
	b.click(`input[name="selected"][value="out/tables/by_sex.csv"]`)
	b.click(`[data-dialog-open="sel-move-dialog"]`)
	b.waitVisible("#sel-move-dialog")
	b.typeInto("#sel-new-group", "Sex tables")
	b.screenshotViewport("request-folder-move-dialog")
	b.post(`#sel-move-dialog button[type="submit"]`)
	f, ok := h.Get(r.ID).File("out/tables/by_sex.csv")
	if !ok || f.FileType != domain.FileOutput || strings.ToLower(f.Group) != "sex tables" {
		t.Fatalf("by_sex.csv after the move: %+v", f)
	}
	if got := b.text(".flash-success"); !strings.Contains(got, "Moved to group "+f.Group+": out/tables/by_sex.csv") {
		t.Errorf("success message %q", got)
	}
	// The folder still holds extra/ in g, so the page stays; the tree
	// shows the new group.
	if got := b.text(tree); !strings.Contains(got, f.Group) {
		t.Errorf("the tree lacks the new group: %q", got)
	}
	b.screenshotWidths("request-folder-after-move")

	// An output checker sees the folder without checkboxes or actions,
	// with the decision of each file.
	if _, _, err := h.Svc.EditGroup(h.Ctx, h.Author, r.ID, f.Group, "Counts by sex", "Rounded to 5"); err != nil {
		t.Fatal(err)
	}
	h.R(h.Svc.Submit(h.Ctx, h.Author, r.ID))
	h.R(h.Svc.Vote(h.Ctx, h.C1, r.ID, "out/summary.csv", domain.VoteApproved))
	c := newBrowser(t, h)
	c.login("c1")
	c.do("set the viewport", chromedp.EmulateViewport(1280, 800))
	c.open("/requests/view/" + r.ID + "/g/out/")
	if n := eval[int](c, `document.querySelectorAll('input[name="selected"], .req-selection-actions').length`); n != 0 {
		t.Errorf("the checker has %d selection controls", n)
	}
	if got := c.text(".req-folder-files"); !strings.Contains(got, "summary.csv") || !strings.Contains(got, "tables/") {
		t.Errorf("checker's folder page: %q", got)
	}
	c.screenshotWidths("request-folder-checker")
}

// TestBrowserCSVFilter: on a 1,000,000-row CSV the filter counts the
// matching rows over the whole file and shows them with the file's row
// numbers; a column is hidden and shown again.
func TestBrowserCSVFilter(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 1,000,000-row file")
	}
	h := newHarness(t)
	dir := t.TempDir()
	testkit.NewDiskWorkspace(t, dir, "ws").Output("output/big.csv", bigCSV(1_000_000), nil).Save()
	withDiskWorkspaces(h, dir)

	b := newBrowser(t, h)
	b.login("author")
	b.do("set the viewport", chromedp.EmulateViewport(1280, 800))
	b.open("/workspaces/view/ws/output/big.csv")
	frame := `document.querySelector("iframe.content-frame").contentDocument`
	run(b, "wait for the table", chromedp.Poll[bool](`(() => { const d = `+frame+`; return !!(d && d.querySelector("form.filter") && d.querySelector("tbody tr")); })()`))

	// Filter: "leeds" in the region column.
	b.do("filter", chromedp.Evaluate[chromedp.Void](`(() => { const d = `+frame+`;
		d.querySelector("#filter-q").value = "leeds";
		d.querySelector("#filter-col").value = "1";
		d.querySelector("form.filter button[type=submit]").click(); })()`))
	// The page streams its rows: wait for it to have loaded, not only for
	// the count at its top.
	run(b, "wait for the matches", chromedp.Poll[bool](`(() => { const d = `+frame+`; return !!(d && d.readyState === "complete" && d.querySelector(".match-count")); })()`))
	if got := eval[string](b, frame+`.querySelector(".match-count").textContent`); !strings.Contains(got, "1,000 of 1,000,000 rows match “leeds” in region") {
		t.Errorf("count: %q", got)
	}
	nums := eval[[]string](b, `Array.from(`+frame+`.querySelectorAll("tbody th.rownum")).map(x => x.textContent)`)
	if len(nums) != 500 || nums[0] != "1000" || nums[1] != "2000" || nums[499] != "500000" {
		t.Errorf("row numbers %d: %v…", len(nums), nums[:min(3, len(nums))])
	}
	b.screenshotWidths("csv-filter-1m")

	// The next page of matches.
	b.do("next page", chromedp.Evaluate[chromedp.Void](`Array.from(`+frame+`.querySelectorAll(".bar a")).find(a => a.textContent === "Next page").click()`))
	run(b, "wait for page 2", chromedp.Poll[bool](`(() => { const d = `+frame+`; const c = d && d.querySelector(".match-count"); return !!c && d.readyState === "complete" && c.textContent.includes("page 2 of 2"); })()`))
	if first := eval[string](b, frame+`.querySelector("tbody th.rownum").textContent`); first != "501000" {
		t.Errorf("page 2 starts at row %s", first)
	}

	// Hide the column "count", then show it again.
	headers := func() string {
		return strings.Join(eval[[]string](b, `Array.from(`+frame+`.querySelectorAll("thead th a.sort")).map(a => a.firstChild.textContent)`), ",")
	}
	if got := headers(); got != "id,region,count" {
		t.Fatalf("headers %q", got)
	}
	b.do("hide count", chromedp.Evaluate[chromedp.Void](frame+`.querySelector('thead a.hide-col[aria-label="Hide column count"]').click()`))
	run(b, "wait for the hidden column", chromedp.Poll[bool](`(() => { const d = `+frame+`; return !!(d && d.querySelector(".hidden-cols")); })()`))
	if got := headers(); got != "id,region" {
		t.Errorf("headers with count hidden %q", got)
	}
	if got := eval[string](b, frame+`.querySelector(".match-count").textContent`); !strings.Contains(got, "1,000 of 1,000,000") {
		t.Errorf("hiding a column lost the filter: %q", got)
	}
	if n := eval[int](b, frame+`.querySelector("tbody tr").querySelectorAll("td").length`); n != 2 {
		t.Errorf("%d cells in a row with a column hidden", n)
	}
	b.screenshotWidths("csv-filter-hidden-column")
	b.do("show count", chromedp.Evaluate[chromedp.Void](frame+`.querySelector('.hidden-cols a').click()`))
	run(b, "wait for the column", chromedp.Poll[bool](`(() => { const d = `+frame+`; return !!(d && d.querySelector("thead") && !d.querySelector(".hidden-cols")); })()`))
	if got := headers(); got != "id,region,count" {
		t.Errorf("headers after showing count %q", got)
	}
}

// bigCSV is a CSV of rows data rows: region "Leeds" on every 1000th
// row, else "York".
func bigCSV(rows int) string {
	var b strings.Builder
	b.Grow(rows * 24)
	b.WriteString("id,region,count\n")
	for i := 1; i <= rows; i++ {
		region := "York"
		if i%1000 == 0 {
			region = "Leeds"
		}
		fmt.Fprintf(&b, "%d,%s,%d\n", i, region, i%97*5)
	}
	return b.String()
}
