package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// FuzzForm posts any form body to every page that takes a form (but the
// login, logout and switch-user forms, which change who is logged in),
// as the user most likely to be allowed it: never a 5xx, and a refusal
// (4xx) changes nothing.
func FuzzForm(f *testing.F) {
	h := newHarness(f)
	var posts []string
	for _, rt := range h.pages.routes() {
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodPost || rt.public || strings.Contains(pattern, "logout") || strings.Contains(pattern, "switch-user") {
			continue
		}
		posts = append(posts, pattern)
	}
	for i := range posts {
		f.Add(uint8(i), "comment=hello&context=c&controls=c&justification=because+it+is+fine&selected=out/a.csv&file=out/a.csv&filetype_0=OUTPUT&group=g&action=withdraw&confirm_rules=yes")
	}
	f.Add(uint8(0), "comment=%ff%fe")
	f.Add(uint8(1), "context=ctx%ff&controls=x")
	f.Add(uint8(2), "selected=out/a.csv&selected=out/a.csv/&action=withdraw")
	f.Add(uint8(3), "%zz=&&&==;")
	srv := h.server()
	pending := h.Pending(h.Author, "out/a.csv", "out/b.csv")
	review := h.RequestIn(h.Colleague, domain.StatusSubmitted)
	author, checker := h.client(srv), h.client(srv)
	author.login(h.Author.Username)
	checker.login(h.C1.Username)
	f.Fuzz(func(t *testing.T, route uint8, form string) {
		pattern := posts[int(route)%len(posts)]
		c, id := author, pending.ID
		if route%2 == 1 {
			c, id = checker, review.ID
		}
		// The harness and the client report to this input's test (inputs
		// run one at a time).
		c.t, h.t, h.T = t, t, t
		path := strings.NewReplacer("{id}", id, "{group}", "g", "{path...}", "out/a.csv", "{ws}", testkit.Workspace, "{$}", "").Replace(pattern)
		beforeP, beforeR := h.Get(pending.ID), h.Get(review.ID)
		head, _, err := h.Store.AuditHead(h.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		a := c.do(req)
		if a.StatusCode >= 500 {
			t.Fatalf("POST %s with %q: %d\n%s", path, form, a.StatusCode, a.body)
		}
		if a.StatusCode < 400 {
			return
		}
		afterP, afterR := h.Get(pending.ID), h.Get(review.ID)
		if afterP.Version != beforeP.Version || afterR.Version != beforeR.Version {
			t.Fatalf("POST %s with %q: refused (%d) but a request changed", path, form, a.StatusCode)
		}
		if now, _, _ := h.Store.AuditHead(h.Ctx); now != head {
			t.Fatalf("POST %s with %q: refused (%d) but audit events were written", path, form, a.StatusCode)
		}
	})
}
