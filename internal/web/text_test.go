package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/testkit"
)

// TestInvalidTextRefused: a form field that is not valid UTF-8 (or holds
// NUL) is refused with a 400 page and nothing of it is stored; the audit
// log stays verifiable (a raw 0xff in a comment once broke its chain).
func TestInvalidTextRefused(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	r := h.Pending(h.Author, "out/a.csv")
	author := h.client(srv)
	author.login(h.Author.Username)
	tests := []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"comment", "/requests/comment/create/" + r.ID + "/g", url.Values{"comment": {"\xff\xfe"}}, "The comment is not valid UTF-8"},
		{"comment with NUL", "/requests/comment/create/" + r.ID + "/g", url.Values{"comment": {"a\x00b"}}, "The comment holds a NUL"},
		{"context", "/requests/edit/" + r.ID + "/g", url.Values{"context": {"ctx\xff"}, "controls": {"ok"}}, "The context is not valid UTF-8"},
		{"controls", "/requests/edit/" + r.ID + "/g", url.Values{"context": {"ok"}, "controls": {"\xc0\xaf"}}, "The controls is not valid UTF-8"},
		{"field name", "/requests/edit/" + r.ID + "/g", url.Values{"context": {"ok"}, "x\xff": {"1"}}, "not valid UTF-8"},
		{"group of an add", "/workspaces/add-file-to-request/" + testkit.Workspace, url.Values{"file": {"out/b.csv"}, "filetype_0": {"OUTPUT"}, "new_group": {"g\xff"}}, "not valid UTF-8"},
		{"query", "/requests/edit/" + r.ID + "/g?next=%ff", url.Values{"context": {"ok"}}, "not valid UTF-8"},
	}
	headID, headHash, err := h.Store.AuditHead(h.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := h.Get(r.ID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := author.post(tt.path, tt.form)
			if a.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", a.StatusCode, a.body)
			}
			if !strings.Contains(a.body, tt.want) {
				t.Errorf("page does not say %q:\n%s", tt.want, a.body)
			}
		})
	}
	if id, hash, _ := h.Store.AuditHead(h.Ctx); id != headID || hash != headHash {
		t.Errorf("refused forms wrote audit events: head %d, was %d", id, headID)
	}
	after := h.Get(r.ID)
	if after.Version != before.Version || len(after.Comments) != 0 || after.Groups[0].Context != before.Groups[0].Context {
		t.Errorf("refused forms changed the request: version %d→%d, %d comments, context %q", before.Version, after.Version, len(after.Comments), after.Groups[0].Context)
	}
	if _, err := h.Svc.VerifyAudit(h.Ctx); err != nil {
		t.Errorf("audit verify: %v", err)
	}
}
