package render

import (
	"bufio"
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
)

// page holds what every document shows.
type page struct {
	Title string // the file's base name
	Kind  string // a class for <body>
}

func newPage(f File, kind string) page {
	return page{Title: validUTF8(f.baseName()), Kind: kind}
}

// templated is a document rendered by one named template.
type templated struct {
	name string
	data any
}

func (d templated) write(w *bufio.Writer) error {
	if err := views.tmpl.ExecuteTemplate(w, d.name, d.data); err != nil {
		return fmt.Errorf("executing template %s: %w", d.name, err)
	}
	return nil
}

type noticeData struct {
	page
	Message string
	Error   bool
}

// notice is a document showing one message.
func notice(f File, msg string, isError bool) document {
	return templated{"notice", noticeData{page: newPage(f, "notice"), Message: msg, Error: isError}}
}

type textData struct {
	page
	Ext       string
	Chunks    []string
	Empty     bool
	Truncated bool
	LimitMiB  int
	PlainURL  string
}

func buildText(f File, q url.Values) (document, error) {
	t, err := readTextPreview(f, MaxTextPreview)
	if err != nil {
		return nil, err
	}
	return templated{"text", textData{
		page:      newPage(f, "text"),
		Ext:       strings.TrimPrefix(path.Ext(f.Name), "."),
		Chunks:    t.Chunks,
		Empty:     f.Size == 0,
		Truncated: t.Truncated,
		LimitMiB:  MaxTextPreview >> 20,
		PlainURL:  link(q, "plaintext", "true"),
	}}, nil
}

type logData struct {
	page
	Segments  []LogSegment
	Empty     bool
	Truncated bool
	MaxChars  int
	PlainURL  string
}

func buildLog(f File, q url.Values) (document, error) {
	v, err := LogTail(f.Content, f.Size)
	if err != nil {
		return nil, err
	}
	return templated{"log", logData{
		page:      newPage(f, "log"),
		Segments:  v.Segments,
		Empty:     f.Size == 0,
		Truncated: v.Truncated,
		MaxChars:  MaxLogChars,
		PlainURL:  link(q, "plaintext", "true"),
	}}, nil
}

// csvCell is a cell of the table shown: its text and its mark, or
// Absent when the row is too short to reach the column.
type csvCell struct {
	Text   string
	Mark   *cellMark
	Absent bool
}

type csvRow struct {
	N     int // the data row's number in the file, from 1
	Cells []csvCell
}

// csvCol is a column of the header: its sort link and the links that
// hide or show it.
type csvCol struct {
	Index   int
	Name    string
	URL     string // the table sorted by this column (the other way when it already is)
	Sort    string // "ascending", "descending" or "" (for aria-sort)
	Hidden  bool
	Toggle  string // the link that hides the column, or shows it when hidden
	Current bool   // the filter's column
}

// hiddenInput is a query parameter the filter form sends on.
type hiddenInput struct{ Name, Value string }

type csvData struct {
	page
	Header      []string
	Columns     []csvCol // every column of the header
	Visible     []csvCol // the columns shown
	Hidden      []csvCol // the columns hidden
	ShowAllURL  string
	HeaderPad   []struct{}
	Rows        []csvRow
	Page        int
	Pages       int // pages of matches, when filtered
	FirstRow    int
	LastRow     int
	More        bool
	Ragged      bool
	Cut         bool
	Problem     string
	SortNote    string // set when the sort covers only this page
	UnsortedURL string // back to the file's own order, when sorted
	PrevURL     string
	NextURL     string
	FirstURL    string
	SummaryURL  string
	PlainURL    string
	Flags       *flagLegend // nil when no finding is about cells
	// The filter: its text and column (-1 for any), the parameters its
	// form keeps, the link that clears it, and the counts.
	Filter     Filter
	FilterCol  string // the name of the filter's column, or ""
	Keep       []hiddenInput
	ClearURL   string
	Matched    string // matching rows, with thousands separators
	DataRows   string // rows read, with thousands separators
	MatchCount int
}

// parseHidden reads ?hide=1,4 (column numbers from 0) into a set;
// anything invalid is left out.
func parseHidden(q url.Values, width int) map[int]bool {
	out := map[int]bool{}
	for _, v := range q["hide"] {
		for part := range strings.SplitSeq(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(part)); err == nil && n >= 0 && n < width {
				out[n] = true
			}
		}
	}
	return out
}

// hideValue is the ?hide= value of a set of hidden columns.
func hideValue(hidden map[int]bool) string {
	cols := make([]int, 0, len(hidden))
	for c := range hidden {
		cols = append(cols, c)
	}
	slices.Sort(cols)
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ",")
}

// withHidden is link() with ?hide= set to hidden (or dropped when empty).
func withHidden(q url.Values, hidden map[int]bool) string {
	if len(hidden) == 0 {
		return link(q, "", "", "hide")
	}
	return link(q, "hide", hideValue(hidden))
}

// csvColumns lays out the header: sort links, hide and show links.
func csvColumns(header []string, q url.Values, spec sortSpec, hidden map[int]bool, flt Filter) []csvCol {
	heads := sortHeaders(header, q, spec)
	out := make([]csvCol, len(header))
	for i, h := range heads {
		toggle := maps.Clone(hidden)
		if hidden[i] {
			delete(toggle, i)
		} else {
			toggle[i] = true
		}
		out[i] = csvCol{Index: i, Name: h.Name, URL: h.URL, Sort: h.Sort, Hidden: hidden[i],
			Toggle: withHidden(q, toggle), Current: flt.Col == i}
	}
	return out
}

func buildCSV(f File, q url.Values, pageNum int) (document, error) {
	spec := parseSort(q)
	flt := parseFilter(q)
	tp, err := csvTablePage(f, spec, flt, pageNum)
	t, nums := tp.t, tp.nums
	problem := ""
	if tooLong, ok := rowTooLong(err); ok {
		problem = tooLong.Error() + "."
	} else if err != nil {
		return nil, err
	}
	width := t.Width()
	hidden := parseHidden(q, len(t.Header))
	d := csvData{
		page:       newPage(f, "csv"),
		Header:     t.Header,
		Columns:    csvColumns(t.Header, q, spec, hidden, flt),
		HeaderPad:  make([]struct{}, width-len(t.Header)),
		Rows:       make([]csvRow, len(t.Rows)),
		Page:       pageNum,
		FirstRow:   t.FirstRow,
		LastRow:    t.FirstRow + len(t.Rows) - 1,
		More:       t.More,
		Ragged:     t.Ragged,
		Cut:        t.Cut,
		Problem:    problem,
		SortNote:   tp.note,
		FirstURL:   link(q, "", "", "page", "summary"),
		SummaryURL: link(q, "summary", "1", "page"),
		PlainURL:   link(q, "plaintext", "true", "page", "summary"),
		Filter:     flt,
		ShowAllURL: link(q, "", "", "hide"),
	}
	for _, c := range d.Columns {
		if c.Hidden {
			d.Hidden = append(d.Hidden, c)
		} else {
			d.Visible = append(d.Visible, c)
		}
		if c.Current {
			d.FilterCol = c.Name
		}
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if k == "q" || k == "col" || k == "page" || k == "summary" {
			continue
		}
		for _, v := range q[k] {
			d.Keep = append(d.Keep, hiddenInput{k, v})
		}
	}
	if flt.On() {
		d.ClearURL = link(q, "", "", "q", "col", "page")
		d.MatchCount = tp.matched
		d.Matched, d.DataRows = groupDigits(tp.matched), groupDigits(tp.dataRows)
		d.Pages = max(1, (tp.matched+DefaultPageSize-1)/DefaultPageSize)
	}
	if spec.On {
		d.UnsortedURL = link(q, "", "", "sort", "dir", "page", "summary")
	}
	pos := make(map[int]int, len(nums)) // data row (from 0) → place on the page
	for i, n := range nums {
		pos[n-1] = i
	}
	marks := markRows(f.Findings, func(dataRow int) int {
		if i, ok := pos[dataRow]; ok {
			return i
		}
		return -1
	}, t.Rows)
	if marks != nil {
		d.Flags = marks.legend
	}
	shown := width - len(hidden)
	for i, r := range t.Rows {
		m := marks.row(i)
		cells := make([]csvCell, 0, shown)
		for c := range width {
			if hidden[c] {
				continue
			}
			if c >= len(r) {
				cells = append(cells, csvCell{Absent: true})
				continue
			}
			cells = append(cells, csvCell{Text: r[c], Mark: m[c]})
		}
		d.Rows[i] = csvRow{N: nums[i], Cells: cells}
	}
	if pageNum > 1 {
		d.PrevURL = link(q, "page", fmt.Sprint(pageNum-1), "summary")
	}
	if t.More {
		d.NextURL = link(q, "page", fmt.Sprint(pageNum+1), "summary")
	}
	return templated{"csv", d}, nil
}

// groupDigits writes n with thousands separators: 1,000,000.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + groupDigits(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// tablePage is the page of the table to show: its rows, their data-row
// numbers (from 1), a note when the sort covers only the page, and with a
// filter the counts of matching and of all data rows.
type tablePage struct {
	t                 Table
	nums              []int
	note              string
	matched, dataRows int
}

// csvTablePage reads the page of the table to show, filtered and in the
// order asked for. A sorted page says how it was sorted when the file (or
// its matching rows) was too large to sort whole.
func csvTablePage(f File, spec sortSpec, flt Filter, pageNum int) (tablePage, error) {
	if spec.On && f.Size <= sortMaxBytes {
		all, nums, matched, err := allRows(f, flt)
		if err == nil && !all.More && !all.Cut {
			rows, nums := sortedRows(all.Rows, nums, spec)
			start := min((pageNum-1)*DefaultPageSize, len(rows))
			end := min(start+DefaultPageSize, len(rows))
			t := Table{Header: all.Header, Rows: rows[start:end], FirstRow: start + 1, More: end < len(rows), Ragged: all.Ragged}
			return tablePage{t: t, nums: nums[start:end], matched: len(rows), dataRows: matched}, nil
		}
	}
	var tp tablePage
	var err error
	if flt.On() {
		var ft FilteredTable
		ft, err = CSVFilter(f.section(), flt, pageNum, DefaultPageSize)
		tp = tablePage{t: ft.Table, nums: ft.Nums, matched: ft.Matched, dataRows: ft.DataRows}
	} else {
		tp.t, err = CSVPage(f.section(), pageNum, DefaultPageSize)
		tp.nums = make([]int, len(tp.t.Rows))
		for i := range tp.nums {
			tp.nums[i] = tp.t.FirstRow + i
		}
	}
	if !spec.On || len(tp.t.Rows) == 0 {
		return tp, err
	}
	tp.t.Rows, tp.nums = sortedRows(tp.t.Rows, tp.nums, spec)
	what := fmt.Sprintf("rows %d–%d", tp.t.FirstRow, tp.t.FirstRow+len(tp.t.Rows)-1)
	if flt.On() {
		what = "the matching rows of this page"
	}
	tp.note = fmt.Sprintf("Sorted within %s only: the file is too large to sort whole here (more than %d rows or %d MiB). Download it to sort it all.",
		what, sortMaxRows, sortMaxBytes>>20)
	return tp, err
}

// allRows reads every row of a small file that the filter keeps (every
// row when it is off), up to sortMaxRows: the third result is the number
// of data rows read.
func allRows(f File, flt Filter) (Table, []int, int, error) {
	if flt.On() {
		ft, err := CSVFilter(f.section(), flt, 1, sortMaxRows)
		return ft.Table, ft.Nums, ft.DataRows, err
	}
	all, err := CSVPage(f.section(), 1, sortMaxRows)
	nums := make([]int, len(all.Rows))
	for i := range nums {
		nums[i] = i + 1
	}
	return all, nums, len(all.Rows), err
}

type summaryData struct {
	page
	Names    []string
	Rows     []SummaryRow
	Notes    []string
	Problem  string
	TableURL string
}

func buildSummary(f File, q url.Values) (document, error) {
	s, err := CSVSummarize(f.section())
	d := summaryData{page: newPage(f, "csv-summary"), TableURL: link(q, "", "", "summary", "page")}
	if tooLong, ok := rowTooLong(err); ok {
		d.Problem = "No summary: " + tooLong.Error() + "."
		return templated{"summary", d}, nil
	}
	if err != nil {
		return nil, err
	}
	if s.DataRows > 0 {
		d.Names = make([]string, len(s.Columns))
		for i, c := range s.Columns {
			d.Names[i] = c.Name
		}
		d.Rows, d.Notes = s.Rows(), SummaryNotes()
	}
	return templated{"summary", d}, nil
}
