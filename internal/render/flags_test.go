package render

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/checks"
)

// shownCell is a <td> of a rendered CSV page.
type shownCell struct {
	class, title, describedBy, text string
}

var (
	rowRE  = regexp.MustCompile(`(?s)<tr><th class="rownum" scope="row">(\d+)</th>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`(?s)<td([^>]*)>(.*?)</td>`)
	attrRE = regexp.MustCompile(`(?s)([a-z-]+)="([^"]*)"`)
)

// shownRows parses the table body of a CSV page: its cells by the row
// number shown.
func shownRows(t *testing.T, body string) map[int][]shownCell {
	t.Helper()
	rows := map[int][]shownCell{}
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		var cells []shownCell
		for _, c := range cellRE.FindAllStringSubmatch(m[2], -1) {
			sc := shownCell{text: c[2]}
			for _, a := range attrRE.FindAllStringSubmatch(c[1], -1) {
				switch a[1] {
				case "class":
					sc.class = a[2]
				case "title":
					sc.title = a[2]
				case "aria-describedby":
					sc.describedBy = a[2]
				}
			}
			cells = append(cells, sc)
		}
		rows[n] = cells
	}
	return rows
}

// marked returns the flagged cells of a page as "row:col" (the row as
// shown, the column from 0) → class.
func marked(rows map[int][]shownCell) map[string]string {
	out := map[string]string{}
	for n, cells := range rows {
		for col, c := range cells {
			if strings.HasPrefix(c.class, "flag-") {
				out[fmt.Sprintf("%d:%d", n, col)] = c.class
			}
		}
	}
	return out
}

func csvFile(content string, fs []checks.Finding) File {
	f := testFile("t.csv", []byte(content))
	f.Findings = fs
	return f
}

func TestCSVMarks(t *testing.T) {
	paged := genCSV(1200) // id,name,value; 500 rows a page
	pagedFindings := []checks.Finding{
		{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning, Message: "small counts",
			Cells: [][2]int{{0, 2}, {499, 0}, {500, 1}}},
		{Rule: checks.RuleUnrounded, Severity: checks.SeverityInfo, Message: "unrounded counts",
			Cells: [][2]int{{0, 2}, {10, 1}}},
		{Rule: checks.RuleMinMax, Severity: checks.SeverityBlocking, Message: "a maximum",
			Cells: [][2]int{{1199, 2}}},
		{Rule: checks.RuleTypeMismatch, Severity: checks.SeverityBlocking, Message: "not about cells"},
	}
	ragged := "a,b,c\n1,2\n3,4,5,6\n7\n"
	raggedFindings := []checks.Finding{
		{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning, Message: "m",
			// (0,2) and (2,2) are past the end of their rows: not shown.
			Cells: [][2]int{{0, 1}, {0, 2}, {1, 3}, {2, 0}, {2, 2}}},
		{Rule: checks.RuleMinMax, Severity: checks.SeverityBlocking, Message: "m",
			Cells: [][2]int{{1, 3}}},
		{Rule: "", Severity: "nonsense", Message: "m", // shown as a warning
			Cells: [][2]int{{1, 0}, {-1, 0}, {0, -1}, {3, 0}}},
	}
	tests := []struct {
		name, content, target string
		findings              []checks.Finding
		want                  map[string]string // "row:col" → class
		legend                []string          // in the body
		noLegend              bool
	}{
		{
			name: "page 1", content: paged, target: "/", findings: pagedFindings,
			want: map[string]string{"1:2": "flag-warning", "500:0": "flag-warning", "11:1": "flag-info"},
			legend: []string{
				"3 cells on this page are flagged (5 in the file)",
				"<strong>small_count</strong> (warning): 2 on this page, 3 in the file",
				"<strong>unrounded</strong> (info): 2 on this page, 2 in the file",
				"<strong>min_max</strong> (blocking): 0 on this page, 1 in the file",
				`<li id="flag-note-0"><strong>small_count</strong> (warning): small counts</li>`,
				`<li id="flag-note-1"><strong>unrounded</strong> (info): unrounded counts</li>`,
			},
		},
		{
			name: "page 2", content: paged, target: "/?page=2", findings: pagedFindings,
			want: map[string]string{"501:1": "flag-warning"},
			legend: []string{
				"1 cell on this page is flagged (5 in the file)",
				"<strong>small_count</strong> (warning): 1 on this page, 3 in the file",
				"<strong>unrounded</strong> (info): 0 on this page, 2 in the file",
			},
		},
		{
			name: "page 3", content: paged, target: "/?page=3&cache_id=x", findings: pagedFindings,
			want:   map[string]string{"1200:2": "flag-blocking"},
			legend: []string{"1 cell on this page is flagged (5 in the file)", `<li id="flag-note-2"><strong>min_max</strong> (blocking): a maximum</li>`},
		},
		{
			name: "page past the end", content: paged, target: "/?page=9", findings: pagedFindings,
			want:   map[string]string{},
			legend: []string{"0 cells on this page are flagged (5 in the file)"},
		},
		{
			name: "ragged", content: ragged, target: "/", findings: raggedFindings,
			want: map[string]string{"1:1": "flag-warning", "2:3": "flag-blocking", "3:0": "flag-warning", "2:0": "flag-warning"},
			legend: []string{
				"4 cells on this page are flagged (7 in the file)",
				"<strong>small_count</strong> (warning): 3 on this page, 5 in the file",
				"<strong>min_max</strong> (blocking): 1 on this page, 1 in the file",
				"<strong>unnamed rule</strong> (warning): 1 on this page, 2 in the file",
			},
		},
		{name: "no findings", content: paged, target: "/", want: map[string]string{}, noLegend: true},
		{
			name: "findings not about cells", content: paged, target: "/",
			findings: []checks.Finding{{Rule: checks.RuleTypeMismatch, Severity: checks.SeverityWarning, Message: "no cells here", Cells: [][2]int{}}},
			want:     map[string]string{}, noLegend: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, csvFile(tt.content, tt.findings), http.MethodGet, tt.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			body := rec.Body.String()
			checkDocument(t, body)
			got := marked(shownRows(t, body))
			if !maps.Equal(got, tt.want) {
				t.Errorf("marked cells %v, want %v", got, tt.want)
			}
			for _, want := range tt.legend {
				if !strings.Contains(body, want) {
					t.Errorf("legend lacks %q:\n%s", want, legendOf(body))
				}
			}
			if hasLegend := strings.Contains(body, `<section class="flags"`); hasLegend == tt.noLegend {
				t.Errorf("legend shown: %v, want %v", hasLegend, !tt.noLegend)
			}
			if strings.Contains(body, "not about cells") || strings.Contains(body, "no cells here") {
				t.Errorf("a finding without cells is shown")
			}
		})
	}
}

// legendOf returns the legend of a page, for error messages.
func legendOf(body string) string {
	i, j := strings.Index(body, `<section class="flags"`), strings.Index(body, "</section>")
	if i < 0 || j < i {
		return "(no legend)"
	}
	return body[i:j]
}

func TestCSVMarkDetails(t *testing.T) {
	fs := []checks.Finding{
		{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning, Message: "3 is small", Cells: [][2]int{{0, 1}}},
		{Rule: checks.RuleDifferencing, Severity: checks.SeverityInfo, Message: "differs from another", Cells: [][2]int{{0, 1}}},
		{Rule: checks.RuleDifferencing, Severity: checks.SeverityBlocking, Message: "differs", Cells: [][2]int{{0, 1}, {0, 1}}},
	}
	body := serve(t, csvFile("g,n\nx,3\n", fs), http.MethodGet, "/").Body.String()
	c := shownRows(t, body)[1][1]
	want := shownCell{
		class:       "flag-blocking", // the highest severity
		title:       "small_count (warning): 3 is small\ndifferencing (info): differs from another\ndifferencing (blocking): differs",
		describedBy: "flag-note-0 flag-note-1 flag-note-2",
		text:        "3",
	}
	if c != want {
		t.Errorf("cell %+v, want %+v", c, want)
	}
	for _, id := range strings.Fields(c.describedBy) {
		if !strings.Contains(body, `<li id="`+id+`">`) {
			t.Errorf("no note %s", id)
		}
	}
	for _, s := range []string{
		"1 cell on this page is flagged (1 in the file)",
		"<strong>small_count</strong> (warning): 1 on this page, 1 in the file",
		"<strong>differencing</strong> (blocking): 1 on this page, 1 in the file",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("legend lacks %q:\n%s", s, legendOf(body))
		}
	}
}

func TestCSVMarksEscaped(t *testing.T) {
	evil := xssScript + xssImg + `"'&`
	fs := []checks.Finding{{Rule: checks.Rule(evil), Severity: checks.Severity(evil), Message: "column '" + evil + "'", Cells: [][2]int{{0, 0}}}}
	body := serve(t, csvFile("a\n1\n", fs), http.MethodGet, "/").Body.String()
	checkDocument(t, body)
	for _, bad := range []string{"<script", "<img src=x", `"'&`} {
		if strings.Contains(body, bad) {
			t.Errorf("body contains %q:\n%s", bad, body)
		}
	}
	c := shownRows(t, body)[1][0]
	if c.class != "flag-warning" { // an invalid severity is shown as a warning
		t.Errorf("class %q", c.class)
	}
	if !strings.Contains(c.title, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("title %q", c.title)
	}
	if n := strings.Count(legendOf(body), "&lt;script&gt;alert(1)&lt;/script&gt;"); n != 3 { // rule line, note rule, note message
		t.Errorf("escaped script in the legend %d times, want 3:\n%s", n, legendOf(body))
	}
}

// TestCSVMarksFromChecks runs the checks on a table with a BOM, quoted
// cells over several lines and blank lines, and checks that the marks of
// page 2 fall on exactly the small counts: the checks and the viewer
// count rows alike.
func TestCSVMarksFromChecks(t *testing.T) {
	var b strings.Builder
	b.WriteString("\uFEFFlabel,n\n")
	for i := 1; i <= 1200; i++ {
		label := fmt.Sprintf("row %d", i)
		if i%7 == 0 {
			label = fmt.Sprintf("\"row %d,\nover two lines\"", i)
		}
		n := 10 * i
		if i%13 == 0 {
			n = 3
		}
		fmt.Fprintf(&b, "%s,%d\n", label, n)
		if i%11 == 0 {
			b.WriteString("\n")
		}
	}
	cfg := checks.Default()
	cfg.MaxCells = 10_000
	ck, err := checks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ck.Check(context.Background(), "t.csv", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Rule != checks.RuleSmallCount || len(fs[0].Cells) != 1200/13 {
		t.Fatalf("findings %+v", fs)
	}
	for _, target := range []string{"/", "/?page=2", "/?page=3"} {
		rows := shownRows(t, serve(t, csvFile(b.String(), fs), http.MethodGet, target).Body.String())
		if len(rows) == 0 {
			t.Fatalf("%s: no rows", target)
		}
		for n, cells := range rows {
			small := n%13 == 0
			if cells[1].text != map[bool]string{true: "3", false: strconv.Itoa(10 * n)}[small] {
				t.Fatalf("%s: row %d shows %q", target, n, cells[1].text)
			}
			if flagged := cells[1].class == "flag-warning"; flagged != small {
				t.Errorf("%s: row %d (%q) flagged %v", target, n, cells[1].text, flagged)
			}
			if cells[0].class != "" {
				t.Errorf("%s: label of row %d flagged", target, n)
			}
		}
	}
}

func TestCSVMarksETag(t *testing.T) {
	content := genCSV(1200)
	base := []checks.Finding{
		{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning, Message: "small", Cells: [][2]int{{0, 2}, {600, 1}}},
		{Rule: checks.RuleTypeMismatch, Severity: checks.SeverityInfo, Message: "not about cells"},
	}
	change := func(fn func(fs []checks.Finding) []checks.Finding) []checks.Finding {
		c := make([]checks.Finding, len(base))
		for i, f := range base {
			f.Cells = slices.Clone(f.Cells)
			c[i] = f
		}
		return fn(c)
	}
	tests := []struct {
		name     string
		findings []checks.Finding
		same     bool // the ETag is the one of base
	}{
		{"equal copy", change(func(fs []checks.Finding) []checks.Finding { return fs }), true},
		{"finding without cells changed", change(func(fs []checks.Finding) []checks.Finding { fs[1].Message = "other"; return fs }), true},
		{"finding without cells dropped", change(func(fs []checks.Finding) []checks.Finding { return fs[:1] }), true},
		{"message", change(func(fs []checks.Finding) []checks.Finding { fs[0].Message = "smaller"; return fs }), false},
		{"severity", change(func(fs []checks.Finding) []checks.Finding { fs[0].Severity = checks.SeverityBlocking; return fs }), false},
		{"rule", change(func(fs []checks.Finding) []checks.Finding { fs[0].Rule = checks.RuleUnrounded; return fs }), false},
		{"cell", change(func(fs []checks.Finding) []checks.Finding { fs[0].Cells[1] = [2]int{600, 2}; return fs }), false},
		{"cell on another page", change(func(fs []checks.Finding) []checks.Finding { fs[0].Cells[1] = [2]int{601, 1}; return fs }), false},
		{"cell added", change(func(fs []checks.Finding) []checks.Finding { fs[0].Cells = append(fs[0].Cells, [2]int{1, 1}); return fs }), false},
		{"differencing finding appears", change(func(fs []checks.Finding) []checks.Finding {
			return append(fs, checks.Finding{Rule: checks.RuleDifferencing, Severity: checks.SeverityWarning, Message: "d", Cells: [][2]int{{3, 2}}})
		}), false},
		{"text moved between fields", change(func(fs []checks.Finding) []checks.Finding {
			fs[0].Rule, fs[0].Message = checks.RuleSmallCount+"s", "mall"
			return fs
		}), false},
		{"no findings", nil, false},
	}
	for _, target := range []string{"/", "/?page=2"} {
		baseRec := serve(t, csvFile(content, base), http.MethodGet, target)
		baseTag := baseRec.Header().Get("ETag")
		if baseTag == "" || baseRec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: ETag %q, Cache-Control %q", target, baseTag, baseRec.Header().Get("Cache-Control"))
		}
		for _, tt := range tests {
			t.Run(tt.name+target, func(t *testing.T) {
				f := csvFile(content, tt.findings)
				rec := serve(t, f, http.MethodGet, target)
				if tag := rec.Header().Get("ETag"); (tag == baseTag) != tt.same {
					t.Errorf("ETag %s, base %s, want same: %v", tag, baseTag, tt.same)
				}
				// A client holding the base page revalidates it.
				again := serve(t, f, http.MethodGet, target, "If-None-Match", baseTag)
				if wantCode := map[bool]int{true: http.StatusNotModified, false: http.StatusOK}[tt.same]; again.Code != wantCode {
					t.Errorf("revalidation gave %d, want %d", again.Code, wantCode)
				}
				if !tt.same && again.Body.String() != rec.Body.String() {
					t.Errorf("revalidation did not send the new page")
				}
				head := serve(t, f, http.MethodHead, target)
				if head.Header().Get("ETag") != rec.Header().Get("ETag") {
					t.Errorf("HEAD ETag %s, GET %s", head.Header().Get("ETag"), rec.Header().Get("ETag"))
				}
			})
		}
	}
	// The ETag of the table without findings is what it was before
	// findings existed; other views do not depend on findings.
	plainTag := serve(t, testFile("t.csv", []byte(content)), http.MethodGet, "/").Header().Get("ETag")
	if got := etag(testFile("t.csv", nil), "csv-page-1", true); got != plainTag {
		t.Errorf("ETag without findings %s, want %s", plainTag, got)
	}
	for _, target := range []string{"/?summary=1", "/?plaintext=true"} {
		with := serve(t, csvFile(content, base), http.MethodGet, target).Header()
		without := serve(t, testFile("t.csv", []byte(content)), http.MethodGet, target).Header()
		if with.Get("ETag") != without.Get("ETag") || with.Get("Cache-Control") != cacheControl {
			t.Errorf("%s: ETag %s with findings, %s without; Cache-Control %q", target, with.Get("ETag"), without.Get("ETag"), with.Get("Cache-Control"))
		}
	}
}

// bigFindings lists one cell of every row of a rows-row table, and a
// second finding of every tenth row.
func bigFindings(rows int) []checks.Finding {
	a := checks.Finding{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning, Message: "small", Cells: make([][2]int, 0, rows)}
	b := checks.Finding{Rule: checks.RuleUnrounded, Severity: checks.SeverityInfo, Message: "unrounded"}
	for r := range rows {
		a.Cells = append(a.Cells, [2]int{r, 2})
		if r%10 == 0 {
			b.Cells = append(b.Cells, [2]int{r, 1})
		}
	}
	return []checks.Finding{a, b}
}

func TestCSVMarksManyFindings(t *testing.T) {
	const rows = 100_000
	content := genCSV(rows)
	fs := bigFindings(rows)
	body := serve(t, csvFile(content, fs), http.MethodGet, "/?page=3").Body.String()
	shown := shownRows(t, body)
	got := marked(shown)
	if len(shown) != DefaultPageSize || len(got) != DefaultPageSize+DefaultPageSize/10 {
		t.Fatalf("%d rows, %d marks", len(shown), len(got))
	}
	for n := 1001; n <= 1500; n++ {
		if got[fmt.Sprintf("%d:2", n)] != "flag-warning" {
			t.Fatalf("row %d not marked: %v", n, shown[n])
		}
		if want := map[bool]string{true: "flag-info", false: ""}[(n-1)%10 == 0]; got[fmt.Sprintf("%d:1", n)] != want {
			t.Fatalf("row %d column 1 marked %q, want %q", n, got[fmt.Sprintf("%d:1", n)], want)
		}
	}
	for _, s := range []string{
		"550 cells on this page are flagged (110000 in the file)",
		"<strong>small_count</strong> (warning): 500 on this page, 100000 in the file",
		"<strong>unrounded</strong> (info): 50 on this page, 10000 in the file",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("legend lacks %q:\n%s", s, legendOf(body))
		}
	}

	// The lookup holds the page's rows only, and its cost does not grow
	// with the cells off the page.
	tb, err := CSVPage(strings.NewReader(content), 3, DefaultPageSize)
	if err != nil {
		t.Fatal(err)
	}
	pm := markPage(fs, tb.FirstRow, tb.Rows)
	if len(pm.rows) != len(tb.Rows) {
		t.Fatalf("lookup of %d rows for a page of %d", len(pm.rows), len(tb.Rows))
	}
	cells := 0
	for _, m := range pm.rows {
		cells += len(m)
	}
	if cells != 550 {
		t.Errorf("lookup holds %d cells, want 550", cells)
	}
	allocs := func(fs []checks.Finding) float64 {
		return testing.AllocsPerRun(3, func() { markPage(fs, tb.FirstRow, tb.Rows) })
	}
	few := allocs(bigFindings(1600)) // the page's marks and a few more
	many := allocs(fs)
	t.Logf("allocations of markPage: %.0f for 1,600 rows of findings, %.0f for 100,000", few, many)
	if many > few+10 {
		t.Errorf("markPage allocates %.0f times for 100,000 rows of findings, %.0f for 1,600", many, few)
	}
}

func TestFindingsHash(t *testing.T) {
	cells := [][2]int{{1, 2}}
	tests := []struct {
		name string
		a, b []checks.Finding
		same bool
	}{
		{"nil and empty", nil, []checks.Finding{}, true},
		{"none about cells", nil, []checks.Finding{{Rule: "x", Message: "m"}}, true},
		{"negative cells", []checks.Finding{{Rule: "x", Cells: [][2]int{{-1, 2}}}}, []checks.Finding{{Rule: "x", Cells: [][2]int{{1, 2}}}}, false},
		{"order of findings", []checks.Finding{{Rule: "x", Cells: cells}, {Rule: "y", Cells: cells}}, []checks.Finding{{Rule: "y", Cells: cells}, {Rule: "x", Cells: cells}}, false},
		{"split cells", []checks.Finding{{Rule: "x", Cells: [][2]int{{1, 2}, {3, 4}}}}, []checks.Finding{{Rule: "x", Cells: [][2]int{{1, 2}}}, {Rule: "x", Cells: [][2]int{{3, 4}}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ha, hb := findingsHash(tt.a), findingsHash(tt.b)
			if (ha == hb) != tt.same {
				t.Errorf("hashes %q and %q, want same: %v", ha, hb, tt.same)
			}
		})
	}
	if findingsHash(nil) != "" {
		t.Errorf("hash of no findings is not empty")
	}
}

// BenchmarkCSVMarks measures what findings add to a page: the marks of a
// page of 500 rows when the findings list 110,000 cells, and the hash of
// the findings that every request (a 304 too) computes for the ETag.
func BenchmarkCSVMarks(b *testing.B) {
	content := genCSV(100_000)
	fs := bigFindings(100_000)
	tb, err := CSVPage(strings.NewReader(content), 3, DefaultPageSize)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("markPage", func(b *testing.B) {
		for b.Loop() {
			markPage(fs, tb.FirstRow, tb.Rows)
		}
	})
	b.Run("findingsHash", func(b *testing.B) {
		for b.Loop() {
			findingsHash(fs)
		}
	})
	for _, tc := range []struct {
		name string
		fs   []checks.Finding
	}{{"page/none", nil}, {"page/110000-cells", fs}} {
		f := csvFile(content, tc.fs)
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				if err := Serve(rec, httptest.NewRequest(http.MethodGet, "/?page=3", nil), f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestCountFile(t *testing.T) {
	cell := func(rule checks.Rule, cells ...[2]int) checks.Finding {
		return checks.Finding{Rule: rule, Severity: checks.SeverityWarning, Message: "m", Cells: cells}
	}
	manyRules := make([]checks.Finding, 600)
	for i := range manyRules {
		manyRules[i] = cell(checks.Rule(fmt.Sprint("r", i%300)), [2]int{i % 2, 0})
	}
	tests := []struct {
		name   string
		fs     []checks.Finding
		inFile int
		rules  []int // InFile of each rule, in order
	}{
		{"one", []checks.Finding{cell("a", [2]int{0, 0})}, 1, []int{1}},
		{"duplicates in a finding", []checks.Finding{cell("a", [2]int{0, 0}, [2]int{0, 0}, [2]int{1, 0})}, 2, []int{2}},
		{"same rule twice", []checks.Finding{cell("a", [2]int{0, 0}, [2]int{2, 1}), cell("a", [2]int{2, 1}, [2]int{3, 1})}, 3, []int{3}},
		{"two rules on a cell", []checks.Finding{cell("a", [2]int{0, 0}), cell("b", [2]int{0, 0}, [2]int{0, 1})}, 2, []int{1, 2}},
		{"negative cells left out", []checks.Finding{cell("a", [2]int{-1, 0}, [2]int{0, -1}, [2]int{4, 4})}, 1, []int{1}},
		{"huge column (not packed)", []checks.Finding{cell("a", [2]int{0, 0}, [2]int{0, 1 << 21}), cell("b", [2]int{0, 1 << 21}, [2]int{-1, 0})}, 2, []int{2, 1}},
		{"huge row (not packed)", []checks.Finding{cell("a", [2]int{1 << 50, 0}, [2]int{1 << 50, 0}), cell("b", [2]int{1 << 50, 0})}, 1, []int{1, 1}},
		{"300 rules (not packed)", manyRules, 2, slices.Repeat([]int{1}, 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pm := markPage(tt.fs, 1, nil)
			var rules []int
			for _, r := range pm.legend.Rules {
				rules = append(rules, r.InFile)
			}
			if pm.legend.InFile != tt.inFile || !slices.Equal(rules, tt.rules) {
				t.Errorf("in file %d, by rule %v; want %d, %v", pm.legend.InFile, rules, tt.inFile, tt.rules)
			}
		})
	}
}
