package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/checks"
)

// rowNumbers returns the row numbers (the # column) of a table page, in
// the order shown.
func rowNumbers(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<th class="rownum" scope="row">(\d+)</th>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestCSVSort(t *testing.T) {
	data := []byte("region,n\nNorth,15\nSouth,\nEast,1200\nwest,[REDACTED]\nCentral,3\nAbbey,15\n")
	tests := []struct {
		name, target string
		want         []string // row numbers, in order
	}{
		{"file order", "/", []string{"1", "2", "3", "4", "5", "6"}},
		{"numbers by value, text after, empty last", "/?sort=1", []string{"5", "1", "6", "3", "4", "2"}},
		{"descending keeps empty last and ties stable", "/?sort=1&dir=desc", []string{"4", "3", "1", "6", "5", "2"}},
		{"text case-insensitively", "/?sort=0", []string{"6", "5", "3", "1", "2", "4"}},
		{"a column past the header sorts nothing away", "/?sort=7", []string{"1", "2", "3", "4", "5", "6"}},
		{"nonsense is the file's order", "/?sort=x&dir=sideways", []string{"1", "2", "3", "4", "5", "6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := get(t, "t.csv", data, tt.target).Body.String()
			if got := rowNumbers(body); !slices.Equal(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
		})
	}
	body := get(t, "t.csv", data, "/?sort=1").Body.String()
	if !strings.Contains(body, `aria-sort="ascending"`) || !strings.Contains(body, `href="?dir=desc&amp;sort=1"`) || !strings.Contains(body, "File order") {
		t.Errorf("sorted header lacks its state or the way back:\n%s", body)
	}
}

// TestCSVSortWholeFileAcrossPages: a file small enough is sorted whole,
// then paged; marks stay on their cells, which moved.
func TestCSVSortWholeFileAcrossPages(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,n\n")
	rows := DefaultPageSize + 100
	for i := range rows {
		fmt.Fprintf(&b, "r%d,%d\n", i, rows-i) // n descends: sorting ascending reverses the file
	}
	f := testFile("t.csv", []byte(b.String()))
	f.Findings = []checks.Finding{{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning, Message: "small", Cells: [][2]int{{rows - 1, 1}}}}
	body := serve(t, f, "GET", "/?sort=1").Body.String()
	got := rowNumbers(body)
	if len(got) != DefaultPageSize || got[0] != fmt.Sprint(rows) || got[1] != fmt.Sprint(rows-1) {
		t.Fatalf("first sorted page starts %v…", got[:3])
	}
	// The last data row (n=1) now comes first, and is still marked.
	if !regexp.MustCompile(`<th class="rownum" scope="row">` + fmt.Sprint(rows) + `</th>\s*<td>r` + fmt.Sprint(rows-1) + `</td><td class="flag-warning"`).MatchString(body) {
		t.Errorf("the marked cell did not move with its row")
	}
	f = testFile("t.csv", []byte(b.String()))
	body = serve(t, f, "GET", "/?sort=1&page=2").Body.String()
	if got := rowNumbers(body); len(got) != 100 || got[99] != "1" {
		t.Errorf("second sorted page: %d rows, ending %v", len(got), got[len(got)-1:])
	}
	if strings.Contains(body, "Sorted within rows") {
		t.Errorf("a small file was sorted page by page")
	}
}

// TestCSVSortLargeFileWithinPage: a file over the limits is sorted within
// the page shown, and the page says so.
func TestCSVSortLargeFileWithinPage(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,n\n")
	for i := range sortMaxRows + 10 {
		fmt.Fprintf(&b, "r%d,%d\n", i, i%997)
	}
	body := get(t, "t.csv", []byte(b.String()), "/?sort=1&dir=desc").Body.String()
	if !strings.Contains(body, "Sorted within rows 1–500 only") {
		t.Errorf("no note that only the page is sorted")
	}
	got := rowNumbers(body)
	if len(got) != DefaultPageSize || got[0] != "500" {
		t.Errorf("page sorted within itself: starts %v", got[:3])
	}
}
