package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// BenchmarkBigRequestPages renders, for an output checker, the overview
// and a file page of a SUBMITTED 1,000-file request uncached: before each
// render the request is changed (a private comment, untimed), so that
// neither the page cache nor the service's request cache can answer and
// the request is read from the database. The baseline in the same run is
// the same page of a 1-file request, changed and rendered alike. Reported:
// the p50 of each, and their ratio.
func BenchmarkBigRequestPages(b *testing.B) {
	h := newHarness(b)
	paths := make([]string, 1000)
	for i := range paths {
		paths[i] = fmt.Sprintf("output/part_%02d/table_%04d.csv", i/100, i)
	}
	big := h.Pending(h.Author, paths...)
	big = h.R(h.Svc.Submit(h.Ctx, h.Author, big.ID))
	small := h.Pending(h.Colleague, "output/single/only.csv")
	small = h.R(h.Svc.Submit(h.Ctx, h.Colleague, small.ID))
	srv := h.server()
	c := h.client(srv)
	c.login("c1")
	cookie := cookieName + "=" + c.sessionCookie()
	get := func(b *testing.B, path string) time.Duration {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.handler.ServeHTTP(rec, req)
		took := time.Since(start)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
		return took
	}
	p50 := func(l []time.Duration) float64 {
		s := slices.Clone(l)
		slices.Sort(s)
		return float64(s[len(s)/2].Microseconds()) / 1000
	}
	for _, page := range []struct {
		name string
		url  func(r *domain.Request) string
	}{
		{"overview", func(r *domain.Request) string { return "/requests/view/" + r.ID + "/" }},
		{"file", func(r *domain.Request) string { return reqFileURL(r.ID, "g", r.Files[len(r.Files)/2].Relpath) }},
	} {
		b.Run(page.name, func(b *testing.B) {
			var bigL, smallL []time.Duration
			i := 0
			for b.Loop() {
				for _, r := range []*domain.Request{big, small} {
					b.StopTimer()
					i++
					if _, err := h.Svc.CreateComment(h.Ctx, h.C1, r.ID, "g", fmt.Sprintf("Checked (%d).", i), domain.VisibilityPrivate); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					took := get(b, page.url(r))
					if r == big {
						bigL = append(bigL, took)
					} else {
						smallL = append(smallL, took)
					}
				}
			}
			b.ReportMetric(p50(bigL), "big-p50-ms")
			b.ReportMetric(p50(smallL), "1file-p50-ms")
			b.ReportMetric(p50(bigL)/p50(smallL), "big/1file")
			b.ReportMetric(0, "ns/op")
		})
	}
}
