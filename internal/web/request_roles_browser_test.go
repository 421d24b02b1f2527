package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// buttons lists the request's actions: "label" for the buttons of what
// may be done now, then "label (disabled: reason)" for the items of the
// "Other actions" menu.
func (b *browser) buttons() []string {
	b.t.Helper()
	return eval[[]string](b, `Array.from(document.querySelectorAll(".req-bar-actions > button[data-dialog-open]:not(.req-help), .req-other .menu-item")).map(function (x) {
		if (!x.classList.contains("menu-item")) return x.textContent.trim();
		return x.querySelector(".menu-item-title").textContent.trim() + " (disabled: " + x.querySelector(".menu-item-note").textContent.trim() + ")";
	})`)
}

// TestBrowserRequestButtons checks which buttons each role sees, enabled
// or disabled with the reason, on a PENDING and a SUBMITTED request.
func TestBrowserRequestButtons(t *testing.T) {
	h := newHarness(t)
	mine := h.Pending(h.CheckerAuthor, "out/x.csv")
	h.Files.Write(testkit.Workspace, "out/dir/one.csv", "a\n1\n")
	h.Files.Write(testkit.Workspace, "out/dir/two.csv", "a\n2\n")
	_ = mine
	r := h.Submitted(h.Author)
	base := "/requests/view/" + r.ID + "/"

	check := func(b *browser, want []string) {
		t.Helper()
		got := b.buttons()
		if len(got) != len(want) {
			t.Errorf("buttons: got %q, want %q", got, want)
			return
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("button %d: got %q, want %q…", i, got[i], want[i])
			}
		}
	}

	author := newBrowser(t, h)
	author.login("author")
	author.open(base)
	check(author, []string{"Submit for review (disabled: ", "Withdraw this request (disabled: "})
	author.screenshot("request-buttons-author-submitted")
	author.open(base + "g/")
	if n := eval[int](author, `document.querySelectorAll("#req-context").length`); n != 0 {
		t.Errorf("author can edit context while submitted")
	}
	author.screenshot("request-group-author-submitted")
	f := r.OutputFiles()[0]
	author.open(base + "g/" + f.Relpath)
	author.screenshot("request-file-author-submitted")
	if n := eval[int](author, `document.querySelectorAll("a[download]").length`); n != 0 {
		t.Errorf("the author is offered a download")
	}
	if got := strings.Join(author.buttons(), " | "); !strings.Contains(got, "Withdraw file (disabled: ") {
		t.Errorf("the author's withdraw-file action is not offered with its reason: %s", got)
	}

	c1 := newBrowser(t, h)
	c1.login("c1")
	c1.open(base)
	check(c1, []string{"Return early", "Submit review (disabled: ", "Reject request (disabled: ", "Release files (disabled: "})
	c1.open(base + "g/" + f.Relpath)
	if n := eval[int](c1, `document.querySelectorAll("a[download]").length`); n != 1 {
		t.Errorf("checker has %d download links", n)
	}
	if n := eval[int](c1, `document.querySelectorAll("iframe.content-frame[sandbox='allow-same-origin allow-forms']").length`); n != 1 {
		t.Errorf("no sandboxed iframe without scripts")
	}
	// The frame shows the file (a frame the browser refuses to fill would
	// pass the check above).
	run(c1, "wait for the file in the frame", chromedp.Poll[bool](`(() => { const f = document.querySelector("iframe.content-frame"); return !!(f && f.contentDocument && f.contentDocument.querySelector("table")); })()`))
	c1.screenshot("request-file-checker-submitted")

	// The checker-author: author buttons on their own request, reviewer
	// buttons on others'.
	ca := newBrowser(t, h)
	ca.login("checkerauthor")
	ca.open("/requests/view/" + mine.ID + "/")
	check(ca, []string{"Submit for review", "Withdraw this request"})
	ca.click(`[data-dialog-open="submit-dialog"]`)
	if got := eval[bool](ca, `document.getElementById("submit-dialog").open`); !got {
		t.Errorf("submit dialog did not open")
	}
	ca.open(base)
	check(ca, []string{"Return early", "Submit review (disabled: ", "Reject request (disabled: ", "Release files (disabled: "})
	ca.screenshot("request-buttons-checkerauthor")
	// Folder page with multi-select withdraw.
	h.R(h.Svc.AddFiles(h.Ctx, h.CheckerAuthor, testkit.Workspace, "g", addFiles("out/dir/one.csv", "out/dir/two.csv")))
	ca.open("/requests/view/" + mine.ID + "/g/out/dir/")
	ca.screenshot("request-folder-author")
	ca.click(`input[data-select-all="selected"]`)
	ca.click(`[data-dialog-open="sel-withdraw-dialog"]`)
	ca.post(`#sel-withdraw-dialog button[type="submit"]`)
	got := h.Get(mine.ID)
	for _, p := range []string{"out/dir/one.csv", "out/dir/two.csv"} {
		if f, ok := got.File(p); ok && f.FileType != domain.FileWithdrawn { // (PENDING: removed)
			t.Errorf("%s not withdrawn", p)
		}
	}

	// A copilot sees the request but has no buttons.
	cp := newBrowser(t, h)
	cp.login("copilot")
	cp.open(base)
	check(cp, nil)
	cp.screenshot("request-buttons-copilot")
	cp.open("/requests/workspace/" + testkit.Workspace)
	cp.screenshot("request-workspace-list")
	if n := eval[int](cp, `document.querySelectorAll("tbody tr").length`); n != 2 {
		t.Errorf("workspace requests: %d rows", n)
	}
	cp.open("/requests/workspace/" + testkit.Workspace + "?status=SUBMITTED")
	if n := eval[int](cp, `document.querySelectorAll("tbody tr").length`); n != 1 {
		t.Errorf("filtered workspace requests: %d rows", n)
	}
}

func addFiles(paths ...string) []service.AddFile {
	var out []service.AddFile
	for _, p := range paths {
		out = append(out, service.AddFile{Path: p, FileType: domain.FileOutput})
	}
	return out
}
