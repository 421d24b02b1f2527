package render

import (
	"errors"
	"io"
	"slices"
)

const (
	// DefaultPageSize is the number of data rows on one CSV page.
	DefaultPageSize = 500
	// maxPageBytes bounds the memory of the records kept for one page,
	// counting cellCost bytes per cell besides their text.
	maxPageBytes = 16 << 20
	cellCost     = 16
	// maxPage bounds the page number, so row arithmetic cannot overflow.
	maxPage = 1 << 40
)

// Table is one page of a CSV file.
type Table struct {
	// Header is the first record of the file (nil when the file has none).
	Header []string
	// Rows are the data rows of the page, as many as the page size unless
	// the file ends (or a row is too long, see CSVPage).
	Rows [][]string
	// FirstRow is the 1-based number of the first data row of the page.
	FirstRow int
	// More is true when at least one data row follows the page.
	More bool
	// Ragged is true when a row of the page has more or fewer cells than
	// the header.
	Ragged bool
	// Cut is true when the page stopped early because its rows together
	// exceed the page's memory budget; More is then true as well.
	Cut bool
}

// Width returns the number of columns needed to show every cell of the
// page: the longest of the header and the rows.
func (t Table) Width() int {
	w := len(t.Header)
	for _, r := range t.Rows {
		w = max(w, len(r))
	}
	return w
}

// CSVPage reads the header and the given 1-based page of data rows of a
// CSV file, with size rows per page (DefaultPageSize when size < 1). It
// streams: it stops reading after the first row of the next page, so the
// time and memory of a page do not depend on the rows after it.
//
// Rows may have any number of cells; quotes are parsed leniently, and
// invalid UTF-8 is replaced with U+FFFD. A record over MaxRecordBytes or
// MaxRecordCells stops the page with a *RowTooLongError, and the returned
// Table holds the rows read before it.
func CSVPage(r io.Reader, page, size int) (Table, error) {
	return csvPage(r, page, size, MaxRecordBytes, maxPageBytes)
}

func csvPage(r io.Reader, page, size int, recordLimit, pageLimit int64) (Table, error) {
	if size < 1 {
		size = DefaultPageSize
	}
	page = min(max(page, 1), maxPage/size)
	skip := (page - 1) * size
	t := Table{FirstRow: skip + 1}

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

	row := 0
	for ; row < skip; row++ {
		if _, err := cr.read(row + 1); err != nil {
			if errors.Is(err, io.EOF) {
				return t, nil
			}
			return t, err
		}
	}
	pageStart, cells := cr.offset(), int64(0)
	for len(t.Rows) < size {
		rec, err := cr.read(row + 1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return t, nil
			}
			return t, err
		}
		row++
		cells += int64(len(rec))
		if cr.offset()-pageStart+cellCost*cells > pageLimit && len(t.Rows) > 0 {
			t.Cut, t.More = true, true
			return t, nil
		}
		rec = slices.Clone(rec)
		sanitizeCells(rec)
		if len(rec) != len(t.Header) {
			t.Ragged = true
		}
		t.Rows = append(t.Rows, rec)
	}
	// Peek at the next record only as far as needed to know one exists.
	more, err := cr.hasNext()
	if err != nil {
		return t, err
	}
	t.More = more
	return t, nil
}
