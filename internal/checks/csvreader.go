package checks

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

const (
	// maxRowBytes is the longest CSV record read. encoding/csv holds a
	// record about three times over while parsing it, so this bounds the
	// memory of a check whatever the file.
	maxRowBytes = 4 << 20
	// maxRowCells is the most cells of one record read.
	maxRowCells = 100_000
)

// errRowLimit stops the CSV reader at a record over the limits.
var errRowLimit = errors.New("CSV record over the limit")

// tableReader reads CSV records one at a time, reusing the record, and
// refusing records over maxRowBytes or maxRowCells.
type tableReader struct {
	csv *csv.Reader
	lim *rowLimiter
}

func newTableReader(r io.Reader) *tableReader {
	lim := &rowLimiter{r: r}
	cr := csv.NewReader(lim)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &tableReader{csv: cr, lim: lim}
}

// read returns the next record, valid until the next call, or io.EOF at
// the end. Any other error is a *tableError: the file is not a table the
// checks can read from that record on.
func (t *tableReader) read(row int) ([]string, error) {
	rec, err := t.csv.Read()
	switch {
	case t.lim.over != "":
		return nil, &tableError{row: row, msg: t.lim.over}
	case errors.Is(err, io.EOF):
		return nil, io.EOF
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &tableError{row: row, msg: fmt.Sprintf("is not valid CSV (%v)", err), err: err}
	}
	t.lim.startRecord(t.csv.InputOffset())
	return rec, nil
}

// tableError is a CSV record the checks cannot read. row is -1 for the
// header.
type tableError struct {
	row int
	msg string
	err error
}

func (e *tableError) Error() string {
	if e.row < 0 {
		return "the header " + e.msg
	}
	return fmt.Sprintf("data row %d %s", e.row+1, e.msg)
}

func (e *tableError) Unwrap() error { return e.err }

// rowLimiter fails once the record being read, which starts at mark, has
// more than maxRowBytes bytes or maxRowCells cells. The CSV reader buffers
// ahead by a few KiB, so the counts are close, not exact; commas inside
// quotes count as separators, erring on the safe side.
type rowLimiter struct {
	r      io.Reader
	mark   int64
	read   int64
	commas int
	over   string
}

func (l *rowLimiter) startRecord(offset int64) {
	l.mark = offset
	// Commas read ahead belong to the next records; forget them, as a
	// record of more cells than the limit is still caught by its bytes
	// or by the commas read after this point.
	l.commas = 0
}

func (l *rowLimiter) Read(p []byte) (int, error) {
	if l.over != "" {
		return 0, errRowLimit
	}
	room := l.mark + maxRowBytes + 1 - l.read
	if room <= 0 {
		l.over = fmt.Sprintf("is longer than %d MiB", maxRowBytes>>20)
		return 0, errRowLimit
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	l.commas += bytes.Count(p[:n], []byte{','})
	if l.commas >= maxRowCells {
		l.over = fmt.Sprintf("has more than %d cells", maxRowCells)
		return 0, errRowLimit
	}
	return n, err
}
