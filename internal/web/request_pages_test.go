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
	// Submitting a PENDING request needs the rules confirmed.
	a := c.post("/requests/submit/"+r.ID, url.Values{})
	if a.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d", a.StatusCode)
	}
	if got := h.Get(r.ID).Status; got != domain.StatusPending {
		t.Errorf("submitted without confirming: %s", got)
	}
	a = c.post("/requests/edit/"+r.ID+"/g", url.Values{"context": {"ctx"}, "controls": {"ctl"}})
	if a.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", a.StatusCode)
	}
	c.post("/requests/submit/"+r.ID, url.Values{"confirm_rules": {"yes"}})
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
	if a.StatusCode != http.StatusOK || !strings.HasPrefix(a.Header.Get("Content-Disposition"), "attachment") {
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
