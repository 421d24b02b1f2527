package web

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

func TestActivityPagingAndSearch(t *testing.T) {
	var events []domain.Event
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 25 {
		user := "alice"
		if i%5 == 0 {
			user = "bob"
		}
		group := "tables"
		if i >= 20 {
			group = "figures"
		}
		events = append(events, domain.Event{ID: int64(i + 1), Type: domain.EventRequestFileApprove, User: user,
			Path: fmt.Sprintf("out/f%02d.csv", i), Extra: map[string]string{"group": group}, CreatedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	// A read-only event is never shown, nor counted.
	events = append(events, domain.Event{ID: 99, Type: domain.EventRequestFileView, User: "carol", Extra: map[string]string{}, CreatedAt: base})

	tests := []struct {
		name, group, query              string
		wantRows, wantMatched, wantPage int
		wantFirstPath                   string
		wantNewer, wantOlder            string
	}{
		{"first page, newest first", "", "", 10, 25, 1, "out/f24.csv", "", "/r?page=2#activity"},
		{"second page", "", "page=2", 10, 25, 2, "out/f14.csv", "/r#activity", "/r?page=3#activity"},
		{"last page is short", "", "page=3", 5, 25, 3, "out/f04.csv", "/r?page=2#activity", ""},
		{"a page past the end is the last", "", "page=99", 5, 25, 3, "out/f04.csv", "/r?page=2#activity", ""},
		{"a bad page is the first", "", "page=x", 10, 25, 1, "out/f24.csv", "", "/r?page=2#activity"},
		{"search by user", "", "q=BOB", 5, 5, 1, "out/f20.csv", "", ""},
		{"search by path, paged", "", "q=f1&page=1", 10, 10, 1, "out/f19.csv", "", ""},
		{"search with no match", "", "q=nobody", 0, 0, 1, "", "", ""},
		{"search keeps the query in the links", "", "q=alice", 10, 20, 1, "out/f24.csv", "", "/r?page=2&q=alice#activity"},
		{"a group's events only", "figures", "", 5, 5, 1, "out/f24.csv", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			a := reqActivityOf(events, tt.group, "/r", q)
			if len(a.Rows) != tt.wantRows || a.Matched != tt.wantMatched || a.Page != tt.wantPage {
				t.Fatalf("rows %d matched %d page %d, want %d %d %d", len(a.Rows), a.Matched, a.Page, tt.wantRows, tt.wantMatched, tt.wantPage)
			}
			if tt.wantRows > 0 && a.Rows[0].Action != "approved "+tt.wantFirstPath {
				t.Errorf("first row %q, want it to approve %s", a.Rows[0].Action, tt.wantFirstPath)
			}
			if got := a.NewerURL; got != tt.wantNewer {
				t.Errorf("newer link %q, want %q", got, tt.wantNewer)
			}
			if got := a.OlderURL; got != tt.wantOlder {
				t.Errorf("older link %q, want %q", got, tt.wantOlder)
			}
			if tt.wantRows > 0 && (a.From != (a.Page-1)*activityPageSize+1 || a.To != a.From+tt.wantRows-1) {
				t.Errorf("showing %d–%d on page %d with %d rows", a.From, a.To, a.Page, tt.wantRows)
			}
		})
	}
}
