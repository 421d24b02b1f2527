package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

type auditAnswer struct {
	Events []struct {
		ID   int64            `json:"id"`
		Type domain.EventType `json:"type"`
		User string           `json:"user"`
	} `json:"events"`
	NextBefore int64 `json:"next_before"`
}

// TestAuditPages: the whole history (written a page at a time by the
// server) and the pages of ?limit= hold the same events, newest first, as
// the service's view of them for each user; private comments stay hidden
// from the author.
func TestAuditPages(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	path := r.OutputFiles()[0].Relpath
	group := r.Groups[0].Name
	// More events than one page of the server (500), with events the
	// author may not see among them.
	for i := range 420 {
		v := domain.VoteApproved
		if i%2 == 1 {
			v = domain.VoteChangesRequested
		}
		h.R(h.Svc.Vote(h.Ctx, h.C1, r.ID, path, v))
		if i%3 == 0 {
			_, err := h.Svc.CreateComment(h.Ctx, h.C1, r.ID, group, fmt.Sprintf("note %d", i), domain.VisibilityPrivate)
			h.OK(err)
		}
	}
	for _, u := range []domain.User{h.Author, h.C1, h.C2} {
		t.Run(u.Username, func(t *testing.T) {
			want, err := h.Svc.RequestEvents(h.Ctx, u, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var wantIDs []int64
			for _, e := range want {
				wantIDs = append(wantIDs, e.ID)
			}
			status, raw := h.call(u.Username, "GET", "/api/v1/requests/"+r.ID+"/audit", nil)
			if status != http.StatusOK {
				t.Fatalf("audit: %d %s", status, raw)
			}
			all := decodeInto[auditAnswer](t, raw)
			var got []int64
			for _, e := range all.Events {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, wantIDs) {
				t.Fatalf("whole history: %d events, want %d (first %v, want %v)", len(got), len(wantIDs), got[:min(3, len(got))], wantIDs[:3])
			}
			if all.NextBefore != 0 {
				t.Errorf("whole history has next_before %d", all.NextBefore)
			}
			var paged []int64
			pages := 0
			for before := int64(-1); before != 0; pages++ {
				q := "?limit=97"
				if before > 0 {
					q += fmt.Sprintf("&before=%d", before)
				}
				status, raw := h.call(u.Username, "GET", "/api/v1/requests/"+r.ID+"/audit"+q, nil)
				if status != http.StatusOK {
					t.Fatalf("audit%s: %d %s", q, status, raw)
				}
				page := decodeInto[auditAnswer](t, raw)
				if len(page.Events) > 97 || (page.NextBefore != 0 && len(page.Events) != 97) {
					t.Fatalf("audit%s: %d events, next_before %d", q, len(page.Events), page.NextBefore)
				}
				for _, e := range page.Events {
					paged = append(paged, e.ID)
				}
				before = page.NextBefore
			}
			if !slices.Equal(paged, wantIDs) {
				t.Errorf("pages: %d events in %d pages, want %d", len(paged), pages, len(wantIDs))
			}
			if want := (len(wantIDs) + 96) / 97; pages != want {
				t.Errorf("%d pages, want %d", pages, want)
			}
		})
	}
	// The author sees fewer events than the checker (private comments).
	a, _ := h.Svc.RequestEvents(h.Ctx, h.Author, r.ID)
	c, _ := h.Svc.RequestEvents(h.Ctx, h.C1, r.ID)
	if len(a) >= len(c) || len(c) < 500 {
		t.Errorf("author sees %d events, checker %d: the test needs hidden events and more than a server page", len(a), len(c))
	}
}

func TestAuditPageBadQuery(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x", "?limit=-1", "?before=-3", "?before=1e3", "?limit=", "?limit=5&before=z"} {
		status, raw := h.call(h.C1.Username, "GET", "/api/v1/requests/"+r.ID+"/audit"+q, nil)
		if status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", q, status, raw)
			continue
		}
		checkError(t, q, status, raw)
	}
}
