package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

// BenchmarkRequestOverview200 renders the overview of a reviewed request
// of 200 files for an output checker: "cached" from the page cache,
// "render" built every time (a new query each time misses the page cache;
// the service's request cache still answers), "change" after a change to
// the request each time (a comment), as after any action.
func BenchmarkRequestOverview200(b *testing.B) {
	h := newHarness(b)
	var paths []string
	for i := range 200 {
		paths = append(paths, fmt.Sprintf("output/tables/t%03d.csv", i))
	}
	r := h.Pending(h.Author, paths...)
	r = h.R(h.Svc.Submit(h.Ctx, h.Author, r.ID))
	h.Review(r.ID, h.C1, domain.VoteApproved)
	h.Review(r.ID, h.C2, domain.VoteApproved)
	srv := h.server()
	c := h.client(srv)
	c.login("c1")
	cookie := cookieName + "=" + c.sessionCookie()
	get := func(b *testing.B, path string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
	page := "/requests/view/" + r.ID + "/"
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			get(b, page)
		}
	})
	b.Run("render", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			get(b, fmt.Sprintf("%s?n=%d", page, i))
		}
	})
	b.Run("change", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			b.StopTimer()
			if _, err := h.Svc.CreateComment(h.Ctx, h.C1, r.ID, "g", fmt.Sprintf("Checked (%d).", i), domain.VisibilityPrivate); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			get(b, page)
		}
	})
}
