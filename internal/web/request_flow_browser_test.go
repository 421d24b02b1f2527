package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/airlock-go/airlock/internal/domain"
)

// has reports whether the page's main content contains text.
func (b *browser) has(text string) bool {
	b.t.Helper()
	return strings.Contains(b.text("main"), text)
}

func (b *browser) statusPill() string {
	b.t.Helper()
	return b.text(".req-line .pill")
}

// comment writes a comment on the group page that is open.
func (b *browser) comment(text, visibility string) {
	b.t.Helper()
	b.typeInto("#req-comment", text)
	if visibility != "" {
		b.click(`input[name="visibility"][value="` + visibility + `"]`)
	}
	b.clickToLoad(".req-comment-form button[type=submit]")
	if got := b.text(".flash"); got != "Comment added" {
		b.t.Fatalf("comment: flash %q", got)
	}
}

// vote opens a file's page and votes with its button (which swaps the
// review panel in place), then waits for the vote to show as chosen.
func (b *browser) vote(base, path, which string) {
	b.t.Helper()
	b.open(base + "g/" + path)
	sel := `.req-votes form[action^="/requests/` + which + `/"] button`
	b.click(sel)
	run(b, "wait for the vote on "+path, chromedp.Poll[bool](`(() => { const x = document.querySelector('`+sel+`'); return !!x && x.getAttribute("aria-pressed") === "true"; })()`))
	if n := eval[int](b, `document.querySelectorAll(".req-vote-error").length`); n > 0 {
		b.t.Fatalf("vote %s %s: %s", which, path, b.text(".req-vote-error"))
	}
}

// act takes a request-level action: its button opens the confirmation,
// whose button posts it.
func (b *browser) act(kind string) {
	b.t.Helper()
	b.click(`.req-bar-actions [data-dialog-open="` + kind + `-dialog"]`)
	b.post("#" + kind + `-dialog button[type="submit"]`)
}

func (b *browser) post(sel string) {
	b.t.Helper()
	b.clickToLoad(sel)
	if n := eval[int](b, `document.querySelectorAll(".flash-error").length`); n > 0 {
		b.t.Fatalf("%s: %s", sel, b.text(".flash-error"))
	}
}

// noScriptRan checks that the hostile comment did nothing.
func (b *browser) noScriptRan() {
	b.t.Helper()
	if eval[bool](b, `typeof window.pwned !== "undefined"`) {
		b.t.Errorf("a comment's script ran")
	}
	if n := eval[int](b, `document.querySelectorAll(".req-comment-text script, .req-comment-text img, .req-comment-text [onerror]").length`); n != 0 {
		b.t.Errorf("%d script/img elements in comments", n)
	}
	for _, d := range b.seenDialogs() {
		if strings.HasPrefix(d, "alert") {
			b.t.Errorf("an alert opened: %s", d)
		}
	}
}

const hostile = "Look <script>window.pwned=1;alert(1)</script> <img src=x onerror=\"window.pwned=2;alert(1)\"> **bold** [a link](https://example.com)"

// TestBrowserRequestFlow takes a request from PENDING to RELEASED in the
// browser, as the author and two output checkers.
func TestBrowserRequestFlow(t *testing.T) {
	h := newHarness(t)
	r := h.Pending(h.Author, "out/a.csv", "out/b.csv")
	base := "/requests/view/" + r.ID + "/"

	author := newBrowser(t, h)
	author.login("author")
	author.open(base)
	author.screenshot("request-overview-pending")
	if author.statusPill() != "Pending" && author.statusPill() != "PENDING" {
		t.Logf("status pill: %q", author.statusPill())
	}
	author.open(base + "g/")
	author.typeInto("#req-context", "Counts of patients by region")
	author.typeInto("#req-controls", "Small numbers suppressed, rounded to 5")
	author.post(`form[action^="/requests/edit/"] button`)
	author.screenshot("request-group-author-pending")
	author.open(base)
	author.click(`[data-dialog-open="submit-dialog"]`)
	author.screenshotViewport("request-submit-dialog")
	author.click(`#submit-dialog input[name="confirm_rules"]`)
	author.post(`#submit-dialog button[type="submit"]`)
	if got := h.Get(r.ID).Status; got != domain.StatusSubmitted {
		t.Fatalf("after submit: %s", got)
	}

	// Two independent, blind reviews.
	c1 := newBrowser(t, h)
	c1.login("c1")
	c1.vote(base, "out/a.csv", "approve")
	c1.vote(base, "out/b.csv", "request_changes")
	c1.screenshot("request-file-checker")
	if got := c1.text(`.req-votes button[aria-pressed="true"]`); !strings.HasPrefix(got, "Request changes") {
		t.Errorf("pressed vote: %q", got)
	}
	c1.open(base + "g/")
	c1.comment("c1 private note about b", "PRIVATE")
	c1.comment(hostile, "PUBLIC")
	c1.noScriptRan()
	c1.screenshot("request-group-checker-independent")
	c1.open(base)
	c1.act("review")

	c2 := newBrowser(t, h)
	c2.login("c2")
	c2.open(base + "g/")
	if c2.has("c1 private note") || c2.has("Look") {
		t.Errorf("c2 sees c1's comments during independent review")
	}
	c2.vote(base, "out/a.csv", "approve")
	c2.vote(base, "out/b.csv", "request_changes")
	if got := c2.text(".req-decision .pill"); got != "Incomplete" {
		t.Errorf("c2 sees a decision during independent review: %q", got)
	}
	c2.open(base + "g/")
	c2.comment("Please suppress the small counts in b", "PUBLIC")
	c2.open(base)
	c2.act("review")

	// Consolidation: both see each other's comments and votes.
	c1.open(base + "g/")
	if !c1.has("Please suppress the small counts in b") {
		t.Errorf("c1 does not see c2's comment when REVIEWED")
	}
	c2.open(base + "g/")
	if !c2.has("c1 private note") || !c2.has("bold") {
		t.Errorf("c2 does not see c1's comments when REVIEWED")
	}
	c2.noScriptRan()
	c1.open(base + "g/out/b.csv")
	if got := c1.text(".req-decision .pill"); got != "Changes requested" {
		t.Errorf("decision when reviewed: %q", got)
	}
	c1.open(base)
	c1.screenshot("request-overview-reviewed")
	c1.act("return")
	if got := h.Get(r.ID).Status; got != domain.StatusReturned {
		t.Fatalf("after return: %s", got)
	}

	// The author sees the decisions and the public comments, not the private one.
	author.open(base + "g/")
	if !author.has("Please suppress the small counts in b") || !author.has("bold") {
		t.Errorf("author does not see the public comments after return")
	}
	if author.has("c1 private note") {
		t.Errorf("author sees a private comment")
	}
	author.noScriptRan()
	author.screenshot("request-group-author-returned")
	author.comment("Suppressed the small counts", "")
	author.open(base + "g/out/b.csv")
	if got := author.text(".req-decision .pill"); got != "Changes requested" {
		t.Errorf("author's decision after return: %q", got)
	}
	author.screenshot("request-file-author-returned")
	author.open(base)
	author.act("submit")
	if got := h.Get(r.ID).Status; got != domain.StatusSubmitted {
		t.Fatalf("after resubmit: %s", got)
	}

	// Second turn: both approve, review, release.
	for _, c := range []*browser{c1, c2} {
		for _, p := range []string{"out/a.csv", "out/b.csv"} {
			c.open(base + "g/" + p)
			if eval[int](c, `document.querySelectorAll('.req-votes .vote-approve[aria-pressed="true"]').length`) == 0 {
				c.vote(base, p, "approve")
			}
		}
		c.open(base)
		c.act("review")
	}
	c1.open(base)
	c1.act("release")
	if got := c1.statusPill(); !strings.HasPrefix(got, "Approved") {
		t.Errorf("after release: %q", got)
	}
	if !c1.has("Uploading: 0 of 2") {
		t.Errorf("no upload progress: %s", c1.text(".banner-info"))
	}
	c1.screenshot("request-overview-approved")
	rq := h.Get(r.ID)
	for _, f := range rq.OutputFiles() {
		h.OK(h.Svc.RecordUpload(h.Ctx, r.ID, f.Relpath))
	}
	h.R(h.Svc.MarkReleased(h.Ctx, r.ID))
	c1.open(base)
	if got := c1.statusPill(); !strings.HasPrefix(got, "Released") {
		t.Errorf("after upload: %q", got)
	}
	c1.screenshot("request-overview-released")
	author.open(base)
	author.screenshot("request-overview-author-released")
	author.noScriptRan()
}
