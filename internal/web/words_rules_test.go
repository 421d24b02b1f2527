package web

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// Every user lands on the page most useful to them, from / and after
// logging in.
func TestWordsLanding(t *testing.T) {
	h := newHarness(t)
	h.Files.Write(testkit.Workspace, "output/counts.csv", "a,b\n1,2\n") // the workspace is on this backend
	srv := h.server()
	for _, tc := range []struct{ user, want string }{
		{"author", "/workspaces/"},
		{"c1", "/requests/output_checker"},
		{"checkerauthor", "/requests/output_checker"},
		{h.Copilot.Username, "/copiloted-workspaces/"},
		{h.ReadOnly.Username, "/workspaces/all/"},
	} {
		c := h.client(srv)
		a := c.post("/login/", url.Values{"user": {tc.user}, "token": {"login-" + tc.user}})
		if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/" {
			t.Fatalf("%s: login answers %d to %q, want 303 to /", tc.user, a.StatusCode, a.Header.Get("Location"))
		}
		a = c.get("/")
		if a.StatusCode != http.StatusFound || a.Header.Get("Location") != tc.want {
			t.Errorf("%s lands on %d %q, want %q", tc.user, a.StatusCode, a.Header.Get("Location"), tc.want)
		}
		if page := c.get(tc.want); page.StatusCode != http.StatusOK || strings.Contains(page.body, "You have no workspaces") {
			t.Errorf("%s: their landing page %s answers %d or says they have no workspaces", tc.user, tc.want, page.StatusCode)
		}
	}
}

// A rule moved from the pages to the domain: the group page shows the
// domain's reason on its disabled buttons, and a post anyway is refused
// with the same words.
func TestWordsGroupVotesAfterReview(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	h.Review(r.ID, h.C1, domain.VoteApproved)
	want := domain.Message(h.Get(r.ID).CheckGroupVotes(h.C1, "g"))
	c := h.client(h.server())
	c.login("c1")
	group := "/requests/view/" + r.ID + "/g/"
	if page := c.get(group).body; !strings.Contains(page, html.EscapeString(want)) {
		t.Errorf("the group page does not give the domain's reason %q", want)
	}
	a := c.post("/requests/request-changes/"+r.ID+"/g", url.Values{"next": {group}})
	if a.StatusCode != http.StatusSeeOther {
		t.Fatalf("post: %d", a.StatusCode)
	}
	if page := c.get(a.Header.Get("Location")).body; !strings.Contains(page, `flash-error" role="alert">`+html.EscapeString(want)) {
		t.Errorf("the refusal does not say %q", want)
	}
}

// Saving a file's properties unchanged says so, neutrally, and changes
// nothing.
func TestWordsUnchangedProperties(t *testing.T) {
	h := newHarness(t)
	r := h.Pending(h.Author)
	before := h.Get(r.ID).Version
	c := h.client(h.server())
	c.login("author")
	a := c.post("/requests/change-properties/"+r.ID, url.Values{"selected": {"out/a.csv"}, "filegroup": {"g"}, "filetype": {"OUTPUT"}})
	if a.StatusCode != http.StatusSeeOther {
		t.Fatalf("post: %d", a.StatusCode)
	}
	page := c.get(a.Header.Get("Location")).body
	if !strings.Contains(page, `flash-info" role="status">`+domain.NothingChanged(1)) || strings.Contains(page, "flash-error") {
		t.Errorf("saving unchanged properties does not say %q neutrally:\n%s", domain.NothingChanged(1), page)
	}
	if got := h.Get(r.ID).Version; got != before {
		t.Errorf("version %d after saving unchanged properties, want %d", got, before)
	}
}
