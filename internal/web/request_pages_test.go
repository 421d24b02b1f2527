package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestRequestPagesRender renders every request page for every role.
func TestRequestPagesRender(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	r := h.Pending(h.Author, "out/a.csv", "out/b.csv")
	base := "/requests/view/" + r.ID + "/"
	pages := []string{base, base + "g/", base + "g/out/a.csv", base + "g/out/", "/requests/workspace/" + testkit.Workspace}
	for _, u := range []domain.User{h.Author, h.C1, h.CheckerAuthor, h.Copilot} {
		c := h.client(srv)
		c.login(u.Username)
		for _, p := range pages {
			a := c.get(p)
			if a.StatusCode != http.StatusOK {
				t.Errorf("%s GET %s: %d\n%s", u.Username, p, a.StatusCode, a.body)
			}
		}
	}
	c := h.client(srv)
	c.login(h.Author.Username)
	if a := c.get("/requests/"); a.StatusCode != http.StatusFound || a.Header.Get("Location") != "/workspaces/" {
		t.Errorf("/requests/: %d %s", a.StatusCode, a.Header.Get("Location"))
	}
	// The rules' confirmation is the submit dialog's required box, not a
	// refusal of the server: the pages submit as the API does (below,
	// without the box).
	a := c.post("/requests/edit/"+r.ID+"/g", url.Values{"context": {"ctx"}, "controls": {"ctl"}})
	if a.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", a.StatusCode)
	}
	c.post("/requests/submit/"+r.ID, url.Values{})
	if got := h.Get(r.ID).Status; got != domain.StatusSubmitted {
		t.Errorf("after submit: %s", got)
	}
	// Content and download.
	cc := h.client(srv)
	cc.login(h.C1.Username)
	if a := cc.get("/requests/content/" + r.ID + "/g/out/a.csv"); a.StatusCode != http.StatusOK {
		t.Errorf("content: %d", a.StatusCode)
	}
	a = cc.get("/requests/content/" + r.ID + "/g/out/a.csv?download")
	if a.StatusCode != http.StatusOK || a.Header.Get("Content-Disposition") != `attachment; filename="a.csv"; filename*=UTF-8''a.csv` {
		t.Errorf("download: %d %q", a.StatusCode, a.Header.Get("Content-Disposition"))
	}
	c = h.client(srv) // (clients of one server share their http.Client: log in again)
	c.login(h.Author.Username)
	if a := c.get("/requests/content/" + r.ID + "/g/out/a.csv?download"); a.StatusCode != http.StatusForbidden {
		t.Errorf("author download: %d %v %.300s", a.StatusCode, a.Header, a.body)
	}
	// Upload progress is a redirect unless APPROVED.
	cc = h.client(srv)
	cc.login(h.C1.Username)
	if a := cc.get("/requests/"+r.ID+"/uploaded-files-count", "HX-Request", "true"); a.Header.Get("HX-Redirect") != base {
		t.Errorf("uploaded count while submitted: %d %q", a.StatusCode, a.Header.Get("HX-Redirect"))
	}
}

func TestCommentMarkdownSanitised(t *testing.T) {
	got := string(renderCommentMarkdown("**hi** <script>alert(1)</script> <img src=x onerror=alert(1)> [l](https://example.com) ![i](https://example.com/i.png)"))
	for _, bad := range []string{"<script", "<img", "onerror"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q kept in %s", bad, got)
		}
	}
	if !strings.Contains(got, "<strong>hi</strong>") || !strings.Contains(got, `rel="nofollow noopener"`) || strings.Contains(got, "target=") {
		t.Errorf("markdown: %s", got)
	}
}

// TestCommentFromFilePage: the file page's "Context & Comments" dialog
// posts a comment tagged with the file; a file outside the group is
// refused with a 400 and adds nothing.
func TestCommentFromFilePage(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	r := h.Submitted(h.Author)
	c := h.client(srv)
	c.login(h.C1.Username)
	filePage := "/requests/view/" + r.ID + "/g/out/a.csv"
	a := c.get(filePage)
	for _, want := range []string{`data-dialog-open="context-dialog"`, `id="context-dialog"`, `name="file_relpath" value="out/a.csv"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("file page lacks %s", want)
		}
	}
	a = c.post("/requests/comment/create/"+r.ID+"/g", url.Values{"comment": {"Round this."}, "visibility": {"PRIVATE"}, "file_relpath": {"out/a.csv"}, "next": {filePage}})
	if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != filePage {
		t.Fatalf("comment: %d to %q", a.StatusCode, a.Header.Get("Location"))
	}
	got := h.Get(r.ID).Comments
	if len(got) != 1 || !strings.HasPrefix(got[0].Text, "File: [out/a.csv](/requests/view/"+r.ID+"/g/out/a.csv)") || !strings.HasSuffix(got[0].Text, "Round this.") {
		t.Fatalf("comments: %+v", got)
	}
	// The page shown after the redirect has the comment (not a cached
	// page from before it).
	if a := c.get(filePage); !strings.Contains(a.body, "Round this.") {
		t.Errorf("the file page after commenting does not show the comment")
	}
	for _, bad := range []string{"out/nope.csv", "../etc/passwd"} {
		a = c.post("/requests/comment/create/"+r.ID+"/g", url.Values{"comment": {"x"}, "file_relpath": {bad}})
		if a.StatusCode != http.StatusBadRequest {
			t.Errorf("comment on %s: %d, want 400", bad, a.StatusCode)
		}
	}
	if n := len(h.Get(r.ID).Comments); n != 1 {
		t.Errorf("refused comments were added: %d comments", n)
	}
}

// TestRequestPageCacheFollowsChanges: pages served from the page cache
// change as soon as the request does, for every viewer, and differ by
// viewer.
func TestRequestPageCacheFollowsChanges(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	r := h.Submitted(h.Author)
	overview := "/requests/view/" + r.ID + "/"
	c1 := h.client(srv)
	c1.login(h.C1.Username)
	c1.get(overview) // shows (and so clears) the login's flash message
	first := c1.get(overview).body
	if again := c1.get(overview).body; again != first {
		t.Fatalf("the same page twice differs")
	}
	c2srv := h.server() // another client jar, same handler and cache
	c2 := h.client(c2srv)
	c2.login(h.C2.Username)
	c2.get(overview)
	if other := c2.get(overview).body; other == first || !strings.Contains(other, "Logged in as <strong>c2</strong>") {
		t.Errorf("c2 was shown c1's page")
	}
	// A vote by c1 through the service (not the pages) shows at once.
	if _, err := h.Svc.Vote(h.Ctx, h.C1, r.ID, "out/a.csv", domain.VoteApproved); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(first, "</strong> approved out/a.csv") {
		t.Fatalf("the overview shows an approval before any vote")
	}
	if after := c1.get(overview).body; !strings.Contains(after, "<strong>c1</strong> approved out/a.csv") {
		t.Errorf("the overview's activity does not show the vote made since it was first shown")
	}
}
