package web

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
)

// activityPageSize is how many events an activity table shows at once.
const activityPageSize = 10

// reqActivity is an activity table: the events matching the search, one
// page of them, and links to the pages around it.
type reqActivity struct {
	Rows           []activityRow
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
	rows := activityRows(events, group)
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

// activityRow is one event of an activity table, told as a sentence
// (domain.SummarizeEvent): "checker2" "requested changes on
// output/a.csv", with an excerpt of what a comment said.
type activityRow struct {
	Time    string
	Actor   string
	Action  string
	Excerpt string
}

// activityRows are the visible, non-read-only events, newest first; only
// those of group when it is set.
func activityRows(events []domain.Event, group string) []activityRow {
	var out []activityRow
	events = slices.Clone(events)
	slices.SortStableFunc(events, func(a, b domain.Event) int { return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID)) })
	for _, e := range events {
		if e.Type.ReadOnly() || e.Hidden {
			continue
		}
		if group != "" && e.Extra["group"] != group {
			continue
		}
		s := domain.SummarizeEvent(e)
		action := s.Action
		if s.Actor == "" {
			action = upperFirst(action)
		}
		out = append(out, activityRow{Time: formatTime(e.CreatedAt, "2006-01-02 15:04"), Actor: s.Actor, Action: action, Excerpt: s.Excerpt})
	}
	return out
}

// upperFirst capitalises a sentence that has no actor before it.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// matches says whether the row's time or words contain needle (lower
// case): the search finds what the page shows.
func (row activityRow) matches(needle string) bool {
	for _, s := range []string{row.Time, row.Actor, row.Action, row.Excerpt} {
		if strings.Contains(strings.ToLower(s), needle) {
			return true
		}
	}
	return false
}
