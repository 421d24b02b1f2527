package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/testkit"
)

// TestEveryAnswerIsNoStore walks every call the OpenAPI document lists,
// anonymous and with the tokens of an author and an output checker, over a
// submitted request with real files, and checks that no answer may be
// kept in a cache: the documents, the file contents, the errors.
func TestEveryAnswerIsNoStore(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	// A file's content, sent whole (first: the walk revokes the tokens).
	req := httptest.NewRequest(http.MethodGet, "/api/v1/requests/"+r.ID+"/content/out/a.csv", nil)
	req.Header.Set("Authorization", "Bearer "+h.tokens[h.C1.Username])
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("content: %d, Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	code, raw := h.call("", http.MethodGet, "/api/v1/openapi.json", nil)
	if code != http.StatusOK {
		t.Fatalf("openapi.json: %d", code)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{id}", r.ID, "{group}", "g", "{path}", "out/a.csv", "{ws}", testkit.Workspace, "{cid}", "1")
	n := 0
	for p, ops := range doc.Paths {
		for method := range ops {
			path := fill.Replace(p)
			for _, who := range []string{"", h.Author.Username, h.C1.Username} {
				req := httptest.NewRequest(strings.ToUpper(method), path, strings.NewReader("{}"))
				req.Header.Set("Content-Type", "application/json")
				if who != "" {
					req.Header.Set("Authorization", "Bearer "+h.tokens[who])
				}
				rec := httptest.NewRecorder()
				h.h.ServeHTTP(rec, req)
				n++
				if got := rec.Header().Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s %s as %q: %d with Cache-Control %q, want no-store", strings.ToUpper(method), path, who, rec.Code, got)
				}
			}
		}
	}
	if n < 75 {
		t.Errorf("only %d answers checked", n)
	}
	t.Logf("%d answers checked", n)
}
