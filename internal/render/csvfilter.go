package render

import (
	"errors"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Filtering the CSV viewer's rows, on the server: the reader streams
// through the whole file once, counting the rows that match and keeping
// only those of the page shown, so a filter works on a file of any size
// in memory bounded by the page.

// maxFilterRunes bounds the text of a filter.
const maxFilterRunes = 200

// Filter keeps the data rows with a cell containing Text, ignoring case,
// in column Col (from 0), or in any column when Col < 0. The zero Filter
// is off.
type Filter struct {
	Text string
	Col  int
}

// On reports whether the filter keeps only some rows.
func (f Filter) On() bool { return f.Text != "" }

// parseFilter reads ?q=TEXT&col=N; an invalid column is any column, and
// the text is cut to maxFilterRunes.
func parseFilter(q url.Values) Filter {
	text := strings.TrimSpace(validUTF8(q.Get("q")))
	if utf8.RuneCountInString(text) > maxFilterRunes {
		text = string([]rune(text)[:maxFilterRunes])
	}
	col, err := strconv.Atoi(q.Get("col"))
	if err != nil || col < 0 || col >= MaxRecordCells {
		col = -1
	}
	return Filter{Text: text, Col: col}
}

// matcher tests rows against a filter without allocating for ASCII text.
type matcher struct {
	col   int
	ascii bool
	lower string // the text lower-cased
}

func newMatcher(f Filter) matcher {
	m := matcher{col: f.Col, lower: strings.ToLower(f.Text), ascii: true}
	for i := 0; i < len(f.Text); i++ {
		if f.Text[i] >= utf8.RuneSelf {
			m.ascii = false
			break
		}
	}
	return m
}

// row reports whether a record matches.
func (m matcher) row(rec []string) bool {
	if m.col >= 0 {
		return m.col < len(rec) && m.cell(rec[m.col])
	}
	for _, c := range rec {
		if m.cell(c) {
			return true
		}
	}
	return false
}

func (m matcher) cell(s string) bool {
	if !m.ascii {
		return strings.Contains(strings.ToLower(s), m.lower)
	}
	return containsFoldASCII(s, m.lower)
}

// containsFoldASCII reports whether s contains sub (ASCII, lower-case),
// comparing ASCII letters of s without case.
func containsFoldASCII(s, sub string) bool {
	n := len(sub)
	if n == 0 {
		return true
	}
	first := sub[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper -= 'a' - 'A'
	}
	for i := 0; i+n <= len(s); i++ {
		if c := s[i]; c != first && c != upper {
			continue
		}
		j := 1
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// FilteredTable is one page of the rows of a CSV file that match a filter.
type FilteredTable struct {
	// Table holds the header and the page's matching rows; FirstRow is
	// the position (from 1) of the first of them among the matches, and
	// More is true when more matches follow the page.
	Table
	// Nums are the data-row numbers (from 1) of the page's rows in the
	// file.
	Nums []int
	// Matched counts the matching data rows of the file, and DataRows all
	// its data rows (both up to the row an error stopped at).
	Matched, DataRows int
}

// CSVFilter reads the header of a CSV file and the given 1-based page of
// its data rows that match f, size rows per page (DefaultPageSize when
// size < 1), counting every match in the file. It reads the file once and
// keeps only the page's rows, and no more than maxPageBytes of them (the
// page is then Cut). Records are read as CSVPage reads them; a record
// over the limits stops it with a *RowTooLongError, and the counts are
// those of the rows before it.
func CSVFilter(r io.Reader, f Filter, page, size int) (FilteredTable, error) {
	return csvFilter(r, f, page, size, MaxRecordBytes, maxPageBytes)
}

func csvFilter(r io.Reader, f Filter, page, size int, recordLimit, pageLimit int64) (FilteredTable, error) {
	if size < 1 {
		size = DefaultPageSize
	}
	page = min(max(page, 1), maxPage/size)
	skip := (page - 1) * size
	t := FilteredTable{Table: Table{FirstRow: skip + 1}}

	cr := newRecordReader(r, recordLimit, MaxRecordCells)
	header, err := cr.read(0)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		return t, err
	}
	t.Header = slices.Clone(header)
	if len(t.Header) > 0 {
		t.Header[0] = trimBOM(t.Header[0])
	}
	sanitizeCells(t.Header)

	m := newMatcher(f)
	var kept int64
	for {
		rec, err := cr.read(t.DataRows + 1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return t, nil
			}
			return t, err
		}
		t.DataRows++
		if !m.row(rec) {
			continue
		}
		t.Matched++
		switch {
		case t.Matched <= skip:
			continue
		case len(t.Rows) >= size || t.Cut:
			t.More = true
			continue
		}
		cost := cellCost * int64(len(rec))
		for _, c := range rec {
			cost += int64(len(c))
		}
		if kept+cost > pageLimit && len(t.Rows) > 0 {
			t.Cut, t.More = true, true
			continue
		}
		kept += cost
		rec = slices.Clone(rec)
		sanitizeCells(rec)
		if len(rec) != len(t.Header) {
			t.Ragged = true
		}
		t.Rows = append(t.Rows, rec)
		t.Nums = append(t.Nums, t.DataRows)
	}
}
