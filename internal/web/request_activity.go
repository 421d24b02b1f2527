package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
)

// activityPageSize is how many events an activity table shows at once.
const activityPageSize = 10

// reqActivity is an activity table: the events matching the search, one
// page of them, and links to the pages around it.
type reqActivity struct {
	Rows           []reqEventRow
	Query          string
	Total, Matched int // events in all, and matching Query
	From, To       int // 1-based positions of Rows among the matches
	Page, Pages    int
	Path           string // where the search form goes
	NewerURL       string // "" on the first page
	OlderURL       string // "" on the last page
}

// reqActivityOf pages the visible events (of group, when set) by the
// query parameters q (a case-insensitive search over every column) and
// page (1-based; out of range means the nearest page).
func reqActivityOf(events []domain.Event, group string, path string, query url.Values) reqActivity {
	rows := reqEventRows(events, group)
	a := reqActivity{Query: strings.TrimSpace(query.Get("q")), Total: len(rows), Path: path}
	matched := rows
	if a.Query != "" {
		needle := strings.ToLower(a.Query)
		matched = nil
		for _, row := range rows {
			if row.matches(needle) {
				matched = append(matched, row)
			}
		}
	}
	a.Matched = len(matched)
	a.Pages = max(1, (a.Matched+activityPageSize-1)/activityPageSize)
	a.Page, _ = strconv.Atoi(query.Get("page"))
	a.Page = min(max(a.Page, 1), a.Pages)
	start := (a.Page - 1) * activityPageSize
	end := min(start+activityPageSize, a.Matched)
	a.Rows = matched[start:end]
	if a.Matched > 0 {
		a.From, a.To = start+1, end
	}
	if a.Page > 1 {
		a.NewerURL = a.pageURL(a.Page - 1)
	}
	if a.Page < a.Pages {
		a.OlderURL = a.pageURL(a.Page + 1)
	}
	return a
}

func (a reqActivity) pageURL(page int) string {
	q := url.Values{}
	if a.Query != "" {
		q.Set("q", a.Query)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	u := a.Path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u + "#activity"
}

// matches says whether any column of the row contains needle (lower
// case).
func (row reqEventRow) matches(needle string) bool {
	for _, s := range append([]string{row.Time, row.User, row.Label, row.Path}, row.Extra...) {
		if strings.Contains(strings.ToLower(s), needle) {
			return true
		}
	}
	return false
}
