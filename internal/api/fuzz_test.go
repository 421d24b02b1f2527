package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

// FuzzJSONBody sends any body to every call that takes one, as the user
// most likely to be allowed it: never a 5xx, every refusal has the error
// shape and changes nothing, and the audit log stays verifiable.
func FuzzJSONBody(f *testing.F) {
	var routes []call
	for _, c := range matrix {
		if c.body != nil {
			routes = append(routes, c)
		}
	}
	for i, c := range routes {
		raw, err := json.Marshal(c.body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), raw)
	}
	for name, body := range badBodies {
		if name != "huge" && name != "deep nesting" {
			f.Add(uint8(0), []byte(body))
		}
	}
	f.Add(uint8(1), []byte("{\"text\": \"a\xff\", \"context\": \"\\u0000\"}"))
	f.Add(uint8(2), []byte(`{"paths": ["out/a.csv", "out/a.csv/"]}`))
	h := newHarness(f)
	pending := h.RequestIn(h.Author, domain.StatusPending)
	review := h.RequestIn(h.Colleague, domain.StatusSubmitted)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		h.T = t // the harness reports to this input's test (inputs run one at a time)
		c := routes[int(route)%len(routes)]
		id, caller := pending.ID, "author"
		if c.status != domain.StatusPending {
			id, caller = review.ID, "c3"
		}
		path := replaceCID(strings.Replace(c.path, "%s", id, 1), 1)
		before, before2 := h.snap(pending.ID), h.snap(review.ID)
		status, raw := h.call(caller, c.method, path, body)
		if status >= 500 {
			t.Fatalf("%s %s with %q: %d %s", c.method, path, body, status, raw)
		}
		if status < 400 {
			return
		}
		checkError(t, c.method+" "+path, status, raw)
		if after, after2 := h.snap(pending.ID), h.snap(review.ID); after != before || after2 != before2 {
			t.Fatalf("%s %s with %q: refused (%d) but the data changed", c.method, path, body, status)
		}
		if status == http.StatusBadRequest {
			if _, err := h.Svc.VerifyAudit(h.Ctx); err != nil {
				t.Fatalf("audit log broken after %q: %v", body, err)
			}
		}
	})
}
