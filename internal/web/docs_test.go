package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

// TestDocsPages: every page of the guide renders for a visitor who has not
// logged in, with the menu, and every link to the guide leads somewhere.
func TestDocsPages(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	c := h.client(srv)
	links := map[string]bool{}
	href := regexp.MustCompile(`href="(/docs/[^"#]*)(#[^"]*)?"`)
	for _, p := range docPages {
		a := c.get(docURL(p.Slug))
		if a.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d, want 200\n%s", docURL(p.Slug), a.StatusCode, a.body)
			continue
		}
		if !strings.Contains(a.body, "<title>"+p.Title+" · Airlock</title>") {
			t.Errorf("%s: title is not %q", docURL(p.Slug), p.Title)
		}
		if !strings.Contains(a.body, `<nav class="docs-menu"`) || !strings.Contains(a.body, `href="`+docURL(p.Slug)+`" aria-current="page"`) {
			t.Errorf("%s: no menu with the page marked current", docURL(p.Slug))
		}
		if !strings.Contains(a.body, "<h1") {
			t.Errorf("%s: no heading", docURL(p.Slug))
		}
		if strings.Contains(a.body, "raw HTML omitted") {
			t.Errorf("%s: the page's Markdown has raw HTML", docURL(p.Slug))
		}
		for _, m := range href.FindAllStringSubmatch(a.body, -1) {
			links[m[1]] = true
			if m[2] != "" && m[1] != "/docs/" {
				links[m[1]+m[2]] = true
			}
		}
	}
	if len(links) < len(docPages) {
		t.Errorf("only %d links to the guide found", len(links))
	}
	for l := range links {
		path, frag, _ := strings.Cut(l, "#")
		a := c.get(path)
		if a.StatusCode != http.StatusOK {
			t.Errorf("link %s: status %d", l, a.StatusCode)
		}
		if frag != "" && !strings.Contains(a.body, `id="`+frag+`"`) {
			t.Errorf("link %s: no such section on the page", l)
		}
	}
	// A trailing slash is the same page.
	if a := c.get("/docs/researchers/"); a.StatusCode != http.StatusOK {
		t.Errorf("/docs/researchers/: status %d", a.StatusCode)
	}
}

func TestDocsUnknownPage(t *testing.T) {
	h := newHarness(t)
	c := h.client(h.server())
	for _, p := range []string{"/docs/nope", "/docs/researchers/more", "/docs/index.md", "/docs/docs.go"} {
		a := c.get(p)
		if a.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, a.StatusCode)
		}
		if a.StatusCode == http.StatusNotFound && !strings.Contains(a.body, "Page not found") {
			t.Errorf("%s: not the 404 page:\n%s", p, a.body)
		}
	}
}

// TestDocsNoRawHTML: Markdown never lets HTML or script through.
func TestDocsNoRawHTML(t *testing.T) {
	src := "# Title\n\n<script>alert(1)</script>\n\nSome <b onclick=\"x()\">bold</b> text.\n\n" +
		"<div>block</div>\n\n[link](javascript:alert(1)) and ![img](javascript:alert(2))\n"
	got, err := renderMarkdown([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<b ", "onclick", "<div", "javascript:"} {
		if strings.Contains(string(got), bad) {
			t.Errorf("rendered Markdown contains %q:\n%s", bad, got)
		}
	}
	if !strings.Contains(string(got), "<h1") {
		t.Errorf("Markdown not rendered:\n%s", got)
	}
}

// TestDocsTransitions: the request-states page lists every transition of
// the state machine, and every status.
func TestDocsTransitions(t *testing.T) {
	h := newHarness(t)
	a := h.client(h.server()).get("/docs/request-states")
	if a.StatusCode != http.StatusOK {
		t.Fatalf("status %d", a.StatusCode)
	}
	_, table, ok := strings.Cut(a.body, `<table class="table docs-transitions">`)
	if !ok {
		t.Fatalf("no transitions table:\n%s", a.body)
	}
	table, _, _ = strings.Cut(table, "</table>")
	rows := strings.Split(table, "<tr>")[2:] // after the header row
	ts := domain.Transitions()
	if len(rows) != len(ts) {
		t.Errorf("%d rows, want %d transitions", len(rows), len(ts))
	}
	for i, tr := range ts {
		if i >= len(rows) {
			break
		}
		want := []string{"status-" + kebab(tr.From), "status-" + kebab(tr.To), ">" + tr.Trigger + "<", tr.Notification}
		for _, w := range want {
			if !strings.Contains(rows[i], w) {
				t.Errorf("row %d (%s → %s) lacks %q:\n%s", i, tr.From, tr.To, w, rows[i])
			}
		}
	}
	for _, s := range domain.Statuses() {
		if !strings.Contains(a.body, `<td class="mono">`+string(s)+`</td>`) {
			t.Errorf("status %s not listed", s)
		}
	}
}

func TestDocsFileIcons(t *testing.T) {
	h := newHarness(t)
	a := h.client(h.server()).get("/docs/file-icons")
	for _, l := range fileStateDocs {
		for _, s := range l.States {
			if !strings.Contains(a.body, `class="pill state-`+kebab(s.State)+`">`+s.Label+`</span>`) {
				t.Errorf("no pill for %s", s.State)
			}
		}
	}
}
