package web

import (
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

func TestBrowserReviewsIndex(t *testing.T) {
	other := testkit.NewUser("other", testkit.Researcher, testkit.Workspace)
	h := newHarness(t, withUsers(other))
	h.RequestIn(other, domain.StatusApproved)
	h.RequestIn(h.Author, domain.StatusSubmitted)
	h.RequestIn(h.Colleague, domain.StatusReturned)
	h.RequestIn(h.CheckerAuthor, domain.StatusPartiallyReviewed)

	b := newBrowser(t, h)
	b.login("c1")
	b.open("/requests/output_checker")
	b.screenshot("reviews-index")
	headings := eval[[]string](b, `Array.from(document.querySelectorAll(".review-section h2")).map(e => e.textContent.trim())`)
	want := []string{"Outstanding requests awaiting review", "Requests returned for changes/questions", "Approved requests awaiting release"}
	if !slices.Equal(headings, want) {
		t.Errorf("sections %q, want %q", headings, want)
	}
	progress := eval[[]string](b, `Array.from(document.querySelectorAll(".review-progress")).map(e => e.textContent.trim())`)
	slices.Sort(progress)
	if want := []string{"Your review: 0/2 files (incomplete)", "Your review: 2/2 files"}; !slices.Equal(progress, want) {
		t.Errorf("progress %q, want %q", progress, want)
	}
	if nav := b.text(`.site-nav a[aria-current="page"]`); nav != "Reviews" {
		t.Errorf("current navigation item %q, want Reviews", nav)
	}
}

func TestBrowserDocs(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	b.open("/docs/")
	b.screenshot("docs-index")
	if got := b.text("h1"); got != "Airlock user guide" {
		t.Errorf("heading %q", got)
	}
	// The menu leads to the other pages.
	b.clickToLoad(`.docs-menu a[href="/docs/request-states"]`)
	if got := b.location(); got != "/docs/request-states" {
		t.Errorf("location %q after clicking the menu", got)
	}
	b.screenshot("docs-request-states")
	rows := eval[int](b, `document.querySelectorAll(".docs-transitions tbody tr").length`)
	if rows != len(domain.Transitions()) {
		t.Errorf("%d transitions shown, want %d", rows, len(domain.Transitions()))
	}
	b.open("/docs/output-checkers")
	b.screenshot("docs-output-checkers")
	if got := b.text(`.docs-menu a[aria-current="page"]`); !strings.Contains(got, "output checkers") {
		t.Errorf("current menu item %q", got)
	}
	b.open("/docs/operators")
	b.screenshot("docs-operators")
	// The operator's guide to the move: its tables fit a laptop and a
	// phone (they scroll inside, the page does not).
	for _, size := range []struct {
		name string
		w, h int64
	}{{"laptop", 1280, 800}, {"narrow", 390, 844}} {
		b.viewport(size.w, size.h)
		b.open("/docs/moving-from-opensafely-airlock")
		b.screenshot("docs-moving-" + size.name)
		if over := eval[bool](b, `document.documentElement.scrollWidth > document.documentElement.clientWidth`); over {
			t.Errorf("%s: the page is wider than the window", size.name)
		}
	}
}
