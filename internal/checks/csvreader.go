package checks

import (
	"errors"
	"fmt"
	"io"

	"github.com/airlock-go/airlock/internal/csvrows"
)

const (
	// maxRowBytes is the longest CSV record read, which bounds the memory
	// of a check whatever the file.
	maxRowBytes = 4 << 20
	// maxRowCells is the most cells of one record read.
	maxRowCells = 100_000
)

// tableReader reads CSV records one at a time through the shared bounded
// reader (internal/csvrows), refusing records over maxRowBytes or
// maxRowCells.
type tableReader struct {
	csv *csvrows.Reader
}

func newTableReader(r io.Reader) *tableReader {
	return &tableReader{csv: csvrows.NewReader(r, maxRowBytes, maxRowCells)}
}

// read returns the next record's cells, valid until the next call, or
// io.EOF at the end. Any other error is a *tableError: the file is not a
// table the checks can read from that record on.
func (t *tableReader) read(row int) ([][]byte, error) {
	rec, err := t.csv.Next()
	if err == nil {
		return rec, nil
	}
	return nil, t.failed(row, err)
}

// failed turns the reader's error into a *tableError (or io.EOF).
func (t *tableReader) failed(row int, err error) error {
	var le *csvrows.LimitError
	switch {
	case errors.Is(err, io.EOF):
		return io.EOF
	case errors.As(err, &le) && le.TooManyCells:
		return &tableError{row: row, msg: fmt.Sprintf("has more than %d cells", maxRowCells)}
	case errors.As(err, &le):
		return &tableError{row: row, msg: fmt.Sprintf("is longer than %d MiB", maxRowBytes>>20)}
	}
	return &tableError{row: row, msg: fmt.Sprintf("is not valid CSV (%v)", err), err: err}
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
