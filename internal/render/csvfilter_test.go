package render

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/checks"
)

func TestCSVFilter(t *testing.T) {
	data := "region,sex,count\n" +
		"Leeds,F,10\n" + // 1
		"York,M,15\n" + // 2
		"leeds north,M,5\n" + // 3
		"Bradford,F,LEEDS\n" + // 4
		"Selby,F\n" + // 5 (short)
		"Zürich,M,12\n" // 6
	tests := []struct {
		name           string
		f              Filter
		page, size     int
		nums           []int
		matched, first int
		more           bool
	}{
		{"any column, any case", Filter{Text: "leeds", Col: -1}, 1, 10, []int{1, 3, 4}, 3, 1, false},
		{"one column", Filter{Text: "LEEDS", Col: 0}, 1, 10, []int{1, 3}, 2, 1, false},
		{"column beyond a short row", Filter{Text: "1", Col: 2}, 1, 10, []int{1, 2, 6}, 3, 1, false},
		{"column past the header", Filter{Text: "x", Col: 9}, 1, 10, nil, 0, 1, false},
		{"no match", Filter{Text: "Hull", Col: -1}, 1, 10, nil, 0, 1, false},
		{"paged: first", Filter{Text: "r", Col: 0}, 1, 2, []int{2, 3}, 4, 1, true},
		{"paged: second", Filter{Text: "r", Col: 0}, 2, 2, []int{4, 6}, 4, 3, false},
		{"paged: past the end", Filter{Text: "r", Col: 0}, 3, 2, nil, 4, 5, false},
		{"non-ASCII text", Filter{Text: "ZÜR", Col: -1}, 1, 10, []int{6}, 1, 1, false},
		{"punctuation", Filter{Text: "s,", Col: -1}, 1, 10, nil, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft, err := CSVFilter(strings.NewReader(data), tt.f, tt.page, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ft.Header, []string{"region", "sex", "count"}) {
				t.Errorf("header %q", ft.Header)
			}
			if !slices.Equal(ft.Nums, tt.nums) || ft.Matched != tt.matched || ft.DataRows != 6 || ft.FirstRow != tt.first || ft.More != tt.more {
				t.Errorf("got rows %v, %d matched of %d, first %d, more %v; want %v, %d of 6, first %d, more %v",
					ft.Nums, ft.Matched, ft.DataRows, ft.FirstRow, ft.More, tt.nums, tt.matched, tt.first, tt.more)
			}
			if len(ft.Rows) != len(ft.Nums) {
				t.Fatalf("%d rows for %d numbers", len(ft.Rows), len(ft.Nums))
			}
			for i, n := range ft.Nums {
				if want := strings.Split(strings.Split(data, "\n")[n], ","); !slices.Equal(ft.Rows[i], want) {
					t.Errorf("row %d is %q, want %q", n, ft.Rows[i], want)
				}
			}
		})
	}
}

func TestCSVFilterBoundsThePage(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&b, "%d,%s\n", i, strings.Repeat("x", 1000))
	}
	// A page budget of about three rows: the page is cut, the count goes on.
	ft, err := csvFilter(strings.NewReader(b.String()), Filter{Text: "x", Col: -1}, 1, 20, MaxRecordBytes, 3100)
	if err != nil {
		t.Fatal(err)
	}
	if !ft.Cut || !ft.More || len(ft.Rows) != 3 || ft.Matched != 50 {
		t.Errorf("cut %v, more %v, %d rows, %d matched; want a cut page of 3 rows of 50 matches", ft.Cut, ft.More, len(ft.Rows), ft.Matched)
	}
}

func TestCSVFilterRowTooLong(t *testing.T) {
	data := "a,b\n1,x\n2," + strings.Repeat("y", 200) + "\n3,x\n"
	ft, err := csvFilter(strings.NewReader(data), Filter{Text: "x", Col: -1}, 1, 10, 100, maxPageBytes)
	var tooLong *RowTooLongError
	if !errors.As(err, &tooLong) || tooLong.Row != 2 {
		t.Fatalf("err %v, want row 2 too long", err)
	}
	if !slices.Equal(ft.Nums, []int{1}) || ft.Matched != 1 {
		t.Errorf("rows %v, %d matched before the long row", ft.Nums, ft.Matched)
	}
}

func TestContainsFoldASCII(t *testing.T) {
	tests := []struct {
		s, sub string
		want   bool
	}{
		{"Hello", "hello", true}, {"HELLO", "llo", true}, {"he", "hello", false}, {"", "", true},
		{"a-B-c", "b-c", true}, {"ÄBC", "bc", true}, {"1<=7", "<=7", true}, {"abc", "abd", false},
		{"xXyY", "xy", true},
	}
	for _, tt := range tests {
		if got := containsFoldASCII(tt.s, tt.sub); got != tt.want {
			t.Errorf("containsFoldASCII(%q, %q) = %v", tt.s, tt.sub, got)
		}
	}
}

func TestParseFilterAndHidden(t *testing.T) {
	q := httptestRequest("/f.csv?q=++leeds+&col=2&hide=3,1,x,-1,99&hide=0").URL.Query()
	if f := parseFilter(q); f != (Filter{Text: "leeds", Col: 2}) {
		t.Errorf("filter %+v", f)
	}
	if got := hideValue(parseHidden(q, 5)); got != "0,1,3" {
		t.Errorf("hidden %q, want 0,1,3", got)
	}
	q = httptestRequest("/f.csv?q=" + strings.Repeat("a", 300) + "&col=x").URL.Query()
	if f := parseFilter(q); len(f.Text) != maxFilterRunes || f.Col != -1 {
		t.Errorf("filter %d runes, col %d", len(f.Text), f.Col)
	}
}

var rowNumRe = regexp.MustCompile(`<th class="rownum" scope="row">(\d+)</th>`)

// TestServeCSVFilter serves the viewer with a filter, hidden columns and
// marks: the count, the file's own row numbers, the hidden column left
// out, the form keeping the other parameters.
func TestServeCSVFilter(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,region,count\n")
	for i := 1; i <= 1200; i++ {
		region := "York"
		if i%7 == 0 {
			region = "Leeds"
		}
		fmt.Fprintf(&b, "%d,%s,%d\n", i, region, i*10)
	}
	f := testFile("t.csv", []byte(b.String()))
	f.Findings = []checks.Finding{{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning, Message: "m", Cells: [][2]int{{13, 2}}}}

	rec := serve(t, f, "GET", "/t.csv?cache_id=abc&q=leeds&col=1&hide=0")
	body := rec.Body.String()
	checkDocument(t, body)
	if !strings.Contains(body, "<strong>171</strong> of 1,200 rows match “leeds” in region") {
		t.Errorf("no count of matches:\n%s", body[:min(len(body), 3000)])
	}
	var nums []string
	for _, m := range rowNumRe.FindAllStringSubmatch(body, -1) {
		nums = append(nums, m[1])
	}
	if len(nums) != 171 || nums[0] != "7" || nums[1] != "14" || nums[170] != "1197" {
		t.Errorf("row numbers %v…", nums[:min(len(nums), 5)])
	}
	if strings.Contains(body, `>id<span class="sort-mark"`) || !strings.Contains(body, `>region<span class="sort-mark"`) {
		t.Errorf("column id shown or region hidden")
	}
	if !strings.Contains(body, "Hidden columns: <a") || !strings.Contains(body, `<td class="flag-warning"`) {
		t.Errorf("no hidden-columns line or no mark on row 14")
	}
	for _, want := range []string{`<input type="hidden" name="cache_id" value="abc">`, `<input type="hidden" name="hide" value="0">`, `<option value="1" selected>in region</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %s", want)
		}
	}
	if tag := rec.Header().Get("ETag"); tag == serve(t, f, "GET", "/t.csv?cache_id=abc&q=york").Header().Get("ETag") {
		t.Errorf("two filters share the ETag %s", tag)
	}

	// Paging through matches: page 2 of "York" starts at the 501st match,
	// row 584 (six of every seven rows match).
	body = serve(t, f, "GET", "/t.csv?q=york&page=2").Body.String()
	if !strings.Contains(body, "<strong>1,029</strong> of 1,200 rows match “york”; showing matches 501–1000 (page 2 of 3)") {
		t.Errorf("page 2 of matches:\n%s", body[:min(len(body), 2500)])
	}
	if m := rowNumRe.FindStringSubmatch(body); m == nil || m[1] != "584" {
		t.Errorf("first row of page 2 is %v, want 584", m)
	}

	// No match says so, with a way back.
	body = serve(t, f, "GET", "/t.csv?q=Hull").Body.String()
	if !strings.Contains(body, "No rows match “Hull”") || !strings.Contains(body, "Clear the filter") || strings.Contains(body, "<table") {
		t.Errorf("no-match page:\n%s", body)
	}

	// Sorted and filtered: the matches sorted whole.
	body = serve(t, f, "GET", "/t.csv?q=leeds&sort=0&dir=desc").Body.String()
	if m := rowNumRe.FindStringSubmatch(body); m == nil || m[1] != "1197" {
		t.Errorf("first sorted match is %v, want 1197", m)
	}
}
