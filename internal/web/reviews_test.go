package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// section returns the HTML of the page's section whose heading is title,
// up to the next section; "" when there is none.
func section(body, title string) string {
	i := strings.Index(body, ">"+title+"</h2>")
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestReviewsIndex(t *testing.T) {
	other := testkit.NewUser("other", testkit.Researcher, testkit.Workspace)
	h := newHarness(t, withUsers(other))
	approved := h.RequestIn(other, domain.StatusApproved)
	submitted := h.RequestIn(h.Author, domain.StatusSubmitted)
	returned := h.RequestIn(h.Colleague, domain.StatusReturned)
	partly := h.RequestIn(h.CheckerAuthor, domain.StatusPartiallyReviewed) // reviewed by c1
	srv := h.server()

	c1 := h.client(srv)
	c1.login("c1")
	a := c1.get("/requests/output_checker")
	if a.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200\n%s", a.StatusCode, a.body)
	}
	out := section(a.body, "Outstanding requests awaiting review")
	for _, want := range []string{
		`href="/requests/view/` + submitted.ID + `/"`, `href="/requests/view/` + partly.ID + `/"`,
		"Your review: 0/2 files (incomplete)", "Your review: 2/2 files</td>", "One review submitted", ">Submitted<", "Org",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("outstanding section lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, returned.ID) || strings.Contains(out, approved.ID) {
		t.Errorf("outstanding section lists returned or approved requests:\n%s", out)
	}
	if ret := section(a.body, "Requests returned for changes/questions"); !strings.Contains(ret, returned.ID) || strings.Contains(ret, "Your review") {
		t.Errorf("returned section:\n%s", ret)
	}
	if app := section(a.body, "Approved requests awaiting release"); !strings.Contains(app, approved.ID) || strings.Contains(app, submitted.ID) {
		t.Errorf("approved section:\n%s", app)
	}

	// checkerauthor never sees their own request.
	ca := h.client(srv)
	ca.login("checkerauthor")
	a = ca.get("/requests/output_checker")
	if a.StatusCode != http.StatusOK || strings.Contains(a.body, partly.ID) {
		t.Errorf("checkerauthor: status %d, own request listed: %v", a.StatusCode, strings.Contains(a.body, partly.ID))
	}
	if !strings.Contains(section(a.body, "Outstanding requests awaiting review"), "Your review: 0/2 files (incomplete)") {
		t.Errorf("checkerauthor's outstanding section lacks the author's request")
	}

	// Non-checkers are refused.
	for _, user := range []string{"author", "support", "copilot"} {
		c := h.client(srv)
		c.login(user)
		if a := c.get("/requests/output_checker"); a.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", user, a.StatusCode)
		}
	}
}

func TestReviewsIndexEmpty(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	c := h.client(srv)
	c.login("c2")
	a := c.get("/requests/output_checker")
	if a.StatusCode != http.StatusOK {
		t.Fatalf("status %d", a.StatusCode)
	}
	for _, want := range []string{"No requests are waiting for your review", "No requests are with their researchers"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("empty page lacks %q", want)
		}
	}
	if strings.Contains(a.body, "Approved requests awaiting release") {
		t.Errorf("the approved section is shown with nothing in it")
	}
}
