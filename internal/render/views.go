package render

import (
	"bufio"
	"fmt"
	"net/url"
	"path"
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

type csvRow struct {
	N     int
	Cells []string
	Pad   []struct{}
	Marks map[int]*cellMark // flagged cells by column; nil when none
}

type csvData struct {
	page
	Header      []string
	Headers     []sortHeader // the header's cells, each sorting the table
	HeaderPad   []struct{}
	Rows        []csvRow
	Page        int
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
}

func buildCSV(f File, q url.Values, pageNum int) (document, error) {
	spec := parseSort(q)
	t, nums, sortNote, err := csvTablePage(f, spec, pageNum)
	problem := ""
	if tooLong, ok := rowTooLong(err); ok {
		problem = tooLong.Error() + "."
	} else if err != nil {
		return nil, err
	}
	width := t.Width()
	d := csvData{
		page:       newPage(f, "csv"),
		Header:     t.Header,
		Headers:    sortHeaders(t.Header, q, spec),
		HeaderPad:  make([]struct{}, width-len(t.Header)),
		Rows:       make([]csvRow, len(t.Rows)),
		Page:       pageNum,
		FirstRow:   t.FirstRow,
		LastRow:    t.FirstRow + len(t.Rows) - 1,
		More:       t.More,
		Ragged:     t.Ragged,
		Cut:        t.Cut,
		Problem:    problem,
		SortNote:   sortNote,
		FirstURL:   link(q, "", "", "page", "summary"),
		SummaryURL: link(q, "summary", "1", "page"),
		PlainURL:   link(q, "plaintext", "true", "page", "summary"),
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
	for i, r := range t.Rows {
		d.Rows[i] = csvRow{N: nums[i], Cells: r, Pad: make([]struct{}, width-len(r)), Marks: marks.row(i)}
	}
	if pageNum > 1 {
		d.PrevURL = link(q, "page", fmt.Sprint(pageNum-1), "summary")
	}
	if t.More {
		d.NextURL = link(q, "page", fmt.Sprint(pageNum+1), "summary")
	}
	return templated{"csv", d}, nil
}

// csvTablePage reads the page of the table to show, in the order asked
// for, and the data-row numbers (from 1) of its rows. A sorted page says
// how it was sorted when the file was too large to sort whole.
func csvTablePage(f File, spec sortSpec, pageNum int) (Table, []int, string, error) {
	if spec.On && f.Size <= sortMaxBytes {
		all, err := CSVPage(f.section(), 1, sortMaxRows)
		if err == nil && !all.More && !all.Cut {
			nums := make([]int, len(all.Rows))
			for i := range nums {
				nums[i] = i + 1
			}
			rows, nums := sortedRows(all.Rows, nums, spec)
			start := min((pageNum-1)*DefaultPageSize, len(rows))
			end := min(start+DefaultPageSize, len(rows))
			t := Table{Header: all.Header, Rows: rows[start:end], FirstRow: start + 1, More: end < len(rows), Ragged: all.Ragged}
			return t, nums[start:end], "", nil
		}
	}
	t, err := CSVPage(f.section(), pageNum, DefaultPageSize)
	nums := make([]int, len(t.Rows))
	for i := range nums {
		nums[i] = t.FirstRow + i
	}
	if !spec.On || len(t.Rows) == 0 {
		return t, nums, "", err
	}
	t.Rows, nums = sortedRows(t.Rows, nums, spec)
	note := fmt.Sprintf("Sorted within rows %d–%d only: the file is too large to sort whole here (more than %d rows or %d MiB). Download it to sort it all.",
		t.FirstRow, t.FirstRow+len(t.Rows)-1, sortMaxRows, sortMaxBytes>>20)
	return t, nums, note, err
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
