package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/release"
)

// key presses one key on the page, as a person would ("Escape" is the
// Esc key, "\r" Enter). A shortcut key goes down and up with no separate
// character event: as in a browser, a keydown the page handles
// (preventDefault) types nothing where the focus lands.
func (b *browser) key(k string) {
	b.t.Helper()
	switch k {
	case "Escape":
		b.do("press Esc", chromedp.KeyEvent(kb.Escape))
		return
	case "\r":
		b.do("press Enter", chromedp.KeyEvent(kb.Enter))
		return
	}
	ctx, cancel := b.step()
	defer cancel()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: typ, Key: k}); err != nil {
			b.t.Fatalf("press %s: %v", k, err)
		}
	}
}

// waitFor waits until the JavaScript expression is true.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	run(b, "wait for "+what, chromedp.Poll[bool](expr))
}

// viewport sets the window's size.
func (b *browser) viewport(w, h int64) {
	b.t.Helper()
	b.do("set the viewport", chromedp.EmulateViewport(w, h))
}

// waitFile waits until the file page of relpath is shown, with the focus
// on its heading.
func (b *browser) waitFile(relpath string) {
	b.t.Helper()
	b.waitFor("the page of "+relpath, fmt.Sprintf(`(() => { const h = document.getElementById("page-heading"); return !!h && h.textContent.includes(%q) && document.activeElement === h; })()`, relpath))
}

// waitVote waits until the vote of key k shows as chosen.
func (b *browser) waitVote(k string) {
	b.t.Helper()
	b.waitFor("the vote "+k, `(() => { const x = document.querySelector('#req-review [data-shortcut="`+k+`"]'); return !!x && x.getAttribute("aria-pressed") === "true"; })()`)
}

// TestBrowserDeskLayout: on a request file page at 1280×800 the viewer
// starts in the top 40% of the window; the header is one line; actions
// that do not apply now are in a menu, with the rule's own words; the
// tree shows the checker's votes; the chosen vote stays visibly chosen
// after the review is submitted, with the decision's reason.
func TestBrowserDeskLayout(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	base := requestBase(r.ID)
	f := r.OutputFiles()[0]

	c1 := newBrowser(t, h)
	c1.viewport(1280, 800)
	c1.login("c1")
	c1.open(reqFileURL(r.ID, "g", f.Relpath))
	run(c1, "wait for the viewer", chromedp.Poll[bool](`(() => { const f = document.querySelector("iframe.content-frame"); return !!(f && f.contentDocument && f.contentDocument.querySelector("table")); })()`))
	top := eval[float64](c1, `document.querySelector("iframe.content-frame").getBoundingClientRect().top`)
	if top > 0.4*800 {
		t.Errorf("the viewer starts %.0f px down, below the top 40%% (320 px) of a 1280×800 window", top)
	}
	t.Logf("viewer top: %.0f px of 800", top)
	if hgt := eval[float64](c1, `document.querySelector(".req-line").getBoundingClientRect().height`); hgt > 40 {
		t.Errorf("the request's header line is %.0f px high: more than one line", hgt)
	}
	if got := c1.text(".req-line"); !strings.Contains(got, "0 of 2 files voted") || !strings.Contains(got, "author") || !strings.Contains(got, "Submitted") && !strings.Contains(got, "SUBMITTED") {
		t.Errorf("header line: %q", got)
	}
	if got := c1.text("#req-next"); !strings.Contains(got, "0 of 2 voted") {
		t.Errorf("next step: %q", got)
	}
	// Unavailable actions: in the menu, each with the rule's refusal.
	c1u := h.C1
	rq := h.Get(r.ID)
	want := domain.Message(rq.CheckReject(c1u))
	if n := eval[int](c1, `document.querySelectorAll(".req-bar-actions button[disabled]").length`); n != 0 {
		t.Errorf("%d disabled buttons in the header", n)
	}
	c1.click(".req-other summary")
	notes := eval[[]string](c1, `Array.from(document.querySelectorAll(".req-other .menu-item")).map(x => x.querySelector(".menu-item-title").textContent + ": " + x.getAttribute("title"))`)
	if !slices.Contains(notes, "Reject request: "+want) {
		t.Errorf("menu %q does not give the reject rule's words %q", notes, want)
	}
	c1.screenshotViewport("desk-layout-other-actions")
	c1.key("Escape")

	// Vote on both files: the tree shows the checker's own votes.
	c1.click(`#req-review [data-shortcut="a"]`)
	c1.waitVote("a")
	if n := eval[int](c1, `document.querySelectorAll(".tree-file.selected .vote-icon.mine-approved").length`); n != 1 {
		t.Errorf("the tree does not show the approval of the file shown")
	}
	if got := c1.text("#req-progress"); got != "1 of 2 files voted" {
		t.Errorf("progress after a vote: %q", got)
	}
	second := r.OutputFiles()[1]
	c1.open(reqFileURL(r.ID, "g", second.Relpath))
	c1.click(`#req-review [data-shortcut="r"]`)
	c1.waitVote("r")
	icons := eval[[]string](c1, `Array.from(document.querySelectorAll(".tree-file .vote-icon")).map(x => x.className)`)
	if len(icons) != 2 || !strings.Contains(icons[0], "mine-approved") || !strings.Contains(icons[1], "mine-changes-requested") {
		t.Errorf("tree vote icons: %q", icons)
	}
	// The vote icon is not hidden by any other marker.
	if vis := eval[string](c1, `getComputedStyle(document.querySelector(".tree-file .vote-icon.mine-approved")).display`); vis == "none" {
		t.Errorf("the vote icon is hidden")
	}
	c1.screenshotViewport("desk-layout-voted")

	// Both review; the votes stay chosen, and the decision has its reason.
	h.OK(func() error {
		_, err := h.Svc.CreateComment(h.Ctx, h.C1, r.ID, "g", "Please round.", domain.VisibilityPublic)
		return err
	}())
	h.R(h.Svc.SubmitReview(h.Ctx, h.C1, r.ID))
	h.Review(r.ID, h.C2, domain.VoteApproved)
	c1.open(reqFileURL(r.ID, "g", f.Relpath))
	if got := c1.text(`#req-review button[aria-pressed="true"]`); !strings.HasPrefix(got, "Approve") {
		t.Errorf("pressed vote after the review: %q", got)
	}
	if got := c1.text(".req-decision"); !strings.Contains(got, "approved by both reviewers (c1 and c2)") {
		t.Errorf("decision reason: %q", got)
	}
	c1.open(reqFileURL(r.ID, "g", second.Relpath))
	if got := c1.text(".req-decision"); !strings.Contains(got, "the reviewers disagree") {
		t.Errorf("decision reason of a split vote: %q", got)
	}
	if n := eval[int](c1, `document.querySelectorAll(".tree-file .decision-icon").length`); n != 2 {
		t.Errorf("%d decision icons in the tree once reviews are shared, want 2", n)
	}
	c1.screenshotViewport("desk-layout-reviewed")
	// Returned: the votes can no longer change, and still show as chosen.
	h.R(h.Svc.Return(h.Ctx, h.C2, r.ID))
	c1.open(reqFileURL(r.ID, "g", f.Relpath))
	if !eval[bool](c1, `document.querySelector('#req-review button[aria-pressed="true"]').disabled`) {
		t.Errorf("the vote can still change after the request was returned")
	}
	bg := eval[string](c1, `getComputedStyle(document.querySelector('#req-review button[aria-pressed="true"]')).backgroundColor`)
	grey := eval[string](c1, `getComputedStyle(document.querySelector('#req-review button[aria-pressed="false"]')).backgroundColor`)
	if bg == grey {
		t.Errorf("the chosen vote looks like the others (%s)", bg)
	}
	c1.screenshotViewport("desk-layout-returned")
	_ = base
}

// TestBrowserDeskDialogs: the confirmations are styled dialogs that say
// what will happen: an early and a full return are worded differently,
// and the release names the real target.
func TestBrowserDeskDialogs(t *testing.T) {
	h := newHarness(t)
	h.pages.releaseTarget = release.Describe(false, "", "/srv/airlock/released")
	r := h.Submitted(h.Author)
	c1 := newBrowser(t, h)
	c1.login("c1")
	c1.open(requestBase(r.ID))
	c1.click(`[data-dialog-open="return-dialog"]`)
	early := c1.text("#return-dialog")
	if !strings.Contains(early, "early") || !strings.Contains(early, "reset") {
		t.Errorf("early return dialog: %q", early)
	}
	c1.screenshotViewport("desk-dialog-early-return")
	c1.key("Escape")

	r2 := h.Reviewed(h.Colleague, domain.VoteApproved)
	c1.open(requestBase(r2.ID))
	c1.click(`[data-dialog-open="release-dialog"]`)
	if got := c1.text("#release-dialog"); !strings.Contains(got, "release folder /srv/airlock/released") || strings.Contains(got, "jobs.opensafely.org") {
		t.Errorf("release dialog: %q", got)
	}
	if !eval[bool](c1, `document.activeElement === document.querySelector('#release-dialog button[type="submit"]')`) {
		t.Errorf("the release dialog does not open on its button")
	}
	c1.screenshotViewport("desk-dialog-release")
	c1.key("Escape")
	c1.click(`[data-dialog-open="return-dialog"]`)
	full := c1.text("#return-dialog")
	if strings.Contains(full, "early") || !strings.Contains(full, "resubmit") {
		t.Errorf("full return dialog: %q", full)
	}
	if full == early {
		t.Errorf("early and full return say the same")
	}
	c1.key("Escape")
	c1.click(`[data-dialog-open="reject-dialog"]`)
	if !eval[bool](c1, `document.activeElement === document.querySelector('#reject-dialog [data-dialog-close]:not(.modal-close)')`) {
		t.Errorf("the reject dialog does not open on Cancel")
	}
	c1.post(`#reject-dialog button[type="submit"]`)
	if got := h.Get(r2.ID).Status; got != domain.StatusRejected {
		t.Fatalf("after reject: %s", got)
	}
	if d := c1.seenDialogs(); len(d) != 0 {
		t.Errorf("browser dialogs opened: %q", d)
	}
	// The author of the rejected request is told what they can do next.
	a := newBrowser(t, h)
	a.login("colleague")
	a.open(requestBase(r2.ID))
	if got := a.text("#req-next"); !strings.Contains(got, "start a new request") {
		t.Errorf("rejected, author's next step: %q", got)
	}
}

// TestBrowserDeskKeyboardReview: a checker reviews a whole request with
// the keyboard alone, and submits the review.
func TestBrowserDeskKeyboardReview(t *testing.T) {
	h := newHarness(t)
	paths := []string{"out/a.csv", "out/b.csv", "out/c.csv", "out/d.csv"}
	r := h.Pending(h.Author, paths...)
	h.R(h.Svc.Submit(h.Ctx, h.Author, r.ID))

	c := newBrowser(t, h)
	c.viewport(1280, 800)
	c.login("c1")
	c.open(reqFileURL(r.ID, "g", paths[0]))

	// ? shows the shortcuts; Esc closes them.
	c.key("?")
	c.waitFor("the shortcuts", `document.getElementById("shortcuts-dialog").open`)
	c.screenshotViewport("desk-shortcuts")
	c.key("Escape")
	c.waitFor("the shortcuts to close", `!document.getElementById("shortcuts-dialog").open`)

	for i, p := range paths {
		c.waitFile(p)
		switch i {
		case 2:
			// Request changes, and say why: c opens the comment with the
			// focus in its field, where the shortcut keys are just text.
			c.key("r")
			c.waitVote("r")
			c.key("c")
			c.waitFor("the comment field", `document.activeElement === document.getElementById("req-comment")`)
			c.do("type a comment", chromedp.KeyEvent("round c to 5, and a u r j k"))
			if got := eval[string](c, `document.activeElement.value`); got != "round c to 5, and a u r j k" {
				t.Fatalf("comment field: %q", got)
			}
			ctx, cancel := c.step()
			if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent("\r", chromedp.KeyModifiers(2))); err != nil {
				t.Fatalf("send the comment with Ctrl+Enter: %v", err)
			}
			cancel()
			c.waitFile(p) // the post comes back to the page
			if got := c.text(`#req-review [aria-pressed="true"]`); !strings.HasPrefix(got, "Request changes") {
				t.Fatalf("the typed letters changed the vote: %q", got)
			}
		default:
			c.key("a")
			c.waitVote("a")
		}
		if i+1 < len(paths) {
			c.key("n")
		}
	}
	// j and k move between files; the focus follows to the heading.
	c.key("k")
	c.waitFile(paths[2])
	c.key("j")
	c.waitFile(paths[3])
	// Nothing left to vote on: n goes to Submit review; Enter opens its
	// dialog on its button; Enter submits.
	c.key("n")
	c.waitFor("the submit-review button", `document.activeElement && document.activeElement.getAttribute("data-dialog-open") === "review-dialog"`)
	c.key("\r")
	c.waitFor("the submit-review dialog", `document.getElementById("review-dialog").open && document.activeElement === document.querySelector('#review-dialog button[type="submit"]')`)
	c.screenshotViewport("desk-keyboard-submit-review")
	ctx, cancel := c.step()
	_, err := chromedp.RunResponse(ctx, chromedp.KeyEvent("\r"))
	cancel()
	if err != nil {
		t.Fatalf("submit the review: %v", err)
	}
	got := h.Get(r.ID)
	if !got.HasSubmittedReview("c1") || got.Status != domain.StatusPartiallyReviewed {
		t.Fatalf("after the keyboard review: %s, submitted %v", got.Status, got.SubmittedReviewers())
	}
	for i, p := range paths {
		f, _ := got.File(p)
		want := domain.VoteApproved
		if i == 2 {
			want = domain.VoteChangesRequested
		}
		if v := f.Reviews["c1"].Vote; v != want {
			t.Errorf("%s: vote %s, want %s", p, v, want)
		}
	}
	if n := len(got.GroupComments("g")); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
	// On a group page, c goes to the comment field.
	c.open(reqGroupURL(r.ID, "g"))
	c.key("c")
	c.waitFor("the comment field", `document.activeElement === document.getElementById("req-comment")`)
}

// TestBrowserDeskScreenshots saves every request page (overview, group,
// folder, file) at 1280×800 and 800 px wide, for the author and a
// checker, in each status, as test-artifacts/screenshots/desk-<status>-
// <who>-<page>-<width>.png.
func TestBrowserDeskScreenshots(t *testing.T) {
	if testing.Short() {
		t.Skip("screenshots of every request page: not in -short")
	}
	for _, st := range domain.Statuses() {
		h := newHarness(t)
		r := h.RequestIn(h.Author, st)
		f := r.OutputFiles()[0]
		pages := map[string]string{
			"overview": requestBase(r.ID),
			"group":    reqGroupURL(r.ID, "g"),
			"folder":   reqDirURL(r.ID, "g", "out"),
			"file":     reqFileURL(r.ID, "g", f.Relpath),
		}
		b := newBrowser(t, h)
		for _, who := range []string{"author", "c2"} {
			b.login(who)
			role := "author"
			if who != "author" {
				role = "checker"
			}
			for _, page := range []string{"overview", "group", "folder", "file"} {
				b.viewport(1280, 800)
				b.open(pages[page])
				if page == "file" {
					b.waitFor("the viewer", `(() => { const f = document.querySelector("iframe.content-frame"); return !!(f && f.contentDocument && f.contentDocument.readyState === "complete"); })()`)
				}
				name := fmt.Sprintf("desk-%s-%s-%s", strings.ToLower(string(st)), role, page)
				b.screenshotViewport(name + "-1280")
				b.viewport(800, 1000)
				b.screenshotViewport(name + "-800")
			}
			b.viewport(1280, 800)
			b.logout()
		}
	}
}

// BenchmarkBrowserDeskReview measures, in the browser, a checker
// reviewing a 200-file request from the keyboard: from the key press (n)
// to the next file shown, and from a to the vote shown. It reports the
// medians (ms/next-file, ms/vote) and logs them with the p90:
//
//	go test ./internal/web/ -run '^$' -bench BrowserDeskReview -benchtime 1x -v
func BenchmarkBrowserDeskReview(b *testing.B) {
	for b.Loop() {
		next, vote := deskReview(b)
		b.ReportMetric(next, "ms/next-file")
		b.ReportMetric(vote, "ms/vote")
	}
}

// deskReview has c1 review a 200-file request from the keyboard, and
// returns the median times from the key press to the next file shown and
// to the vote shown.
func deskReview(t testing.TB) (next, vote float64) {
	h := newHarness(t)
	var paths []string
	for i := range 200 {
		paths = append(paths, fmt.Sprintf("out/t%03d.csv", i))
	}
	r := h.Pending(h.Author, paths...)
	h.R(h.Svc.Submit(h.Ctx, h.Author, r.ID))
	c := newBrowser(t, h)
	c.viewport(1280, 800)
	c.login("c1")
	c.open(reqFileURL(r.ID, "g", paths[0]))
	// The page notes when a key went down and when a new file's heading
	// came in.
	install := `window.__desk = window.__desk || {}; document.addEventListener("keydown", () => { window.__desk.down = performance.now(); }, true);
		document.addEventListener("desk:navigated", () => { window.__desk.shown = performance.now(); });`
	c.do("install the timer", chromedp.Evaluate[chromedp.Void](install))
	var navMs, voteMs []float64
	for i, p := range paths {
		c.waitFile(p)
		if i > 0 {
			navMs = append(navMs, eval[float64](c, `window.__desk.shown - window.__desk.down`))
		}
		c.key("a")
		c.waitVote("a")
		voteMs = append(voteMs, eval[float64](c, `performance.now() - window.__desk.down`))
		if i+1 < len(paths) {
			c.key("n")
		}
	}
	got := h.Get(r.ID)
	if n := got.VotedCount("c1"); n != 200 {
		t.Fatalf("%d files voted, want 200", n)
	}
	// For comparison, the same pages loaded whole (as every vote and move
	// did before): from the start of the navigation to the page's
	// DOMContentLoaded.
	var loadMs []float64
	for _, p := range paths[:20] {
		c.open(reqFileURL(r.ID, "g", p))
		loadMs = append(loadMs, eval[float64](c, `(() => { const n = performance.getEntriesByType("navigation")[0]; return n.domContentLoadedEventEnd - n.startTime; })()`))
	}
	med := func(xs []float64) float64 {
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	next, vote = med(navMs), med(voteMs)
	t.Logf("200-file request, keyboard review: key n → next file shown: median %.1f ms (p90 %.1f ms, %d moves); key a → vote shown: median %.1f ms (an upper bound: it includes the test's polling); a whole page load of a file page: median %.1f ms (%d loads)",
		next, navMs[len(navMs)*9/10], len(navMs), vote, med(loadMs), len(loadMs))
	return next, vote
}
