package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/chromedp/chromedp"
)

// wordsSizes are the windows the words' pages are looked at in.
var wordsSizes = []struct {
	name          string
	width, height int64
}{{"1280x800", 1280, 800}, {"800x800", 800, 800}}

// The activity tells each step as a sentence, with no enum names, extra
// keys or raw Markdown, and fits its box without scrolling sideways, even
// with a long path and a long comment, at 1280 and at 800 px.
func TestBrowserWordsActivity(t *testing.T) {
	h := newHarness(t)
	long := "output/a-rather-long-folder-name-for-tables/by-region-and-age-band/counts_by_region_and_age_band_rounded.csv"
	r := h.Pending(h.Author, "out/a.csv", long)
	r = h.R(h.Svc.Submit(h.Ctx, h.Author, r.ID))
	h.VoteAll(r.ID, h.C1, domain.VoteApproved)
	_, err := h.Svc.CreateComment(h.Ctx, h.C1, r.ID, "g", "Checked against [the rules](https://docs.opensafely.org/releasing-files/) — **fine**; "+
		strings.Repeat("the counts are rounded and the small ones redacted, ", 6), domain.VisibilityPrivate)
	h.OK(err)
	h.R(h.Svc.SubmitReview(h.Ctx, h.C1, r.ID))
	h.Review(r.ID, h.C2, domain.VoteChangesRequested)
	h.R(h.Svc.Return(h.Ctx, h.C2, r.ID))

	for _, size := range wordsSizes {
		for _, who := range []string{"c1", "author"} {
			t.Run(size.name+"-"+who, func(t *testing.T) {
				b := newBrowser(t, h)
				b.do("set the viewport", chromedp.EmulateViewport(size.width, size.height))
				b.login(who)
				b.open("/requests/view/" + r.ID + "/")
				activity := b.text(".req-activity")
				for _, want := range []string{"c2 requested changes on " + long, "c2 returned the request to its author", "author submitted the request for review", "c1 submitted their review"} {
					if !strings.Contains(activity, want) {
						t.Errorf("the activity does not say %q:\n%s", want, activity)
					}
				}
				if who == "c1" && !strings.Contains(activity, "c1 commented on g (output checkers only)") {
					t.Errorf("the checker does not see their private comment summarised:\n%s", activity)
				}
				if who == "author" && strings.Contains(activity, "output checkers only") {
					t.Errorf("the author sees a private comment:\n%s", activity)
				}
				for _, raw := range []string{"comment_id", "visibility:", "filetype:", "PUBLIC", "PRIVATE", "OUTPUT", "CHANGES_REQUESTED", "REQUEST_", "](", "**"} {
					if strings.Contains(activity, raw) {
						t.Errorf("the activity shows %q:\n%s", raw, activity)
					}
				}
				fits := eval[bool](b, `(() => {
					const box = document.querySelector(".req-activity-box");
					const card = box.closest(".card");
					return box.scrollWidth <= box.clientWidth && card.scrollWidth <= card.clientWidth &&
						document.documentElement.scrollWidth <= document.documentElement.clientWidth;
				})()`)
				if !fits {
					w := eval[string](b, `(() => { const box = document.querySelector(".req-activity-box"); return box.scrollWidth + " > " + box.clientWidth; })()`)
					t.Errorf("the activity scrolls sideways at %s: %s", size.name, w)
				}
				b.screenshot(fmt.Sprintf("words-activity-%s-%s", who, size.name))
			})
		}
	}
}

// Every role lands on its most useful page when it logs in, and the
// status pills read as words.
func TestBrowserWordsLanding(t *testing.T) {
	h := newHarness(t)
	h.Submitted(h.Author)
	for _, size := range wordsSizes {
		for _, tc := range []struct{ user, want, heading string }{
			{"author", "/workspaces/", "Workspaces & Requests"},
			{"c1", "/requests/output_checker", "Reviews"},
			{h.Copilot.Username, "/copiloted-workspaces/", "Copiloted Workspaces"},
			{h.ReadOnly.Username, "/workspaces/all/", "All Workspaces"},
		} {
			t.Run(size.name+"-"+tc.user, func(t *testing.T) {
				b := newBrowser(t, h)
				b.do("set the viewport", chromedp.EmulateViewport(size.width, size.height))
				b.login(tc.user)
				if loc := b.location(); loc != tc.want {
					t.Errorf("%s lands on %s, want %s", tc.user, loc, tc.want)
				}
				main := b.text("main")
				if !strings.Contains(b.text("h1"), tc.heading) || strings.Contains(main, "You have no workspaces") {
					t.Errorf("%s's landing: h1 %q\n%s", tc.user, b.text("h1"), main)
				}
				if raw := eval[[]string](b, `[...document.querySelectorAll("main .pill")].map(p => p.textContent.trim()).filter(t => /^[A-Z_]{3,}$/.test(t))`); len(raw) > 0 {
					t.Errorf("%s's landing shows statuses by their enum names: %q", tc.user, raw)
				}
				// The brand goes to the landing page too.
				b.clickToLoad(".brand")
				if loc := b.location(); loc != tc.want {
					t.Errorf("the brand takes %s to %s, want %s", tc.user, loc, tc.want)
				}
				b.screenshot(fmt.Sprintf("words-landing-%s-%s", tc.user, size.name))
			})
		}
	}
}

// A refusal reads as words: a reviewer who has submitted their review
// sees why the group-wide votes are not offered any more, in the
// domain's words, and a vote on a returned request is refused with a
// sentence (not "request is RETURNED").
func TestBrowserWordsRefusal(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	h.Review(r.ID, h.C1, domain.VoteApproved)
	b := newBrowser(t, h)
	b.login("c1")
	b.open("/requests/view/" + r.ID + "/g/")
	want := "You have already submitted your review: change your votes file by file."
	if got := b.text("main"); !strings.Contains(got, want) {
		t.Errorf("the group page does not say %q:\n%s", want, got)
	}
	b.screenshot("words-refusal-group-votes-1280x800")

	ret := h.Returned(h.Colleague)
	b.open("/requests/view/" + ret.ID + "/")
	main := b.text("main")
	if pill := eval[string](b, `document.querySelector("main .pill[class*=status-]").textContent.trim()`); pill != "Returned" {
		t.Errorf("a returned request's status pill reads %q", pill)
	}
	if strings.Contains(main, "RETURNED") {
		t.Errorf("a returned request's page names its status by the enum:\n%s", main)
	}
	b.do("set the viewport", chromedp.EmulateViewport(800, 800))
	b.open("/requests/view/" + ret.ID + "/g/out/a.csv")
	got := b.text("main")
	if !strings.Contains(got, "This request has been returned to its author; it is not under review.") || strings.Contains(got, "RETURNED") {
		t.Errorf("the vote buttons of a returned request do not say why in words:\n%s", got)
	}
	b.screenshot("words-refusal-returned-800x800")
}
